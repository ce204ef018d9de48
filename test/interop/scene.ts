import { createMessaging, silentLogger, type Broker, type Event, type MessageContext, type Messaging } from '../../entry/index.js';
import { deferred, withTimeout, type Deferred } from '../support/wait.js';

/** What became of one message a third party wrote: handled by its event name, or dead-lettered. */
export type Outcome =
  | { readonly kind: 'handled'; readonly event: Event; readonly ctx: MessageContext }
  | { readonly kind: 'dead-letter'; readonly value: Buffer; readonly key: string | undefined; readonly headers: Readonly<Record<string, string>> };

/**
 * An eventwire consumer of `topic` with a handler for each of `names`, plus a raw reader of
 * `<topic>.dlq`, both subscribed before anything is produced. Every handled event and every dead
 * letter is recorded, so that a test can check that each message was handled or dead-lettered,
 * once, and none vanished.
 */
export class Scene {
  private readonly items: Outcome[] = [];
  private readonly waiters: { readonly count: number; readonly reached: Deferred<void> }[] = [];
  private readonly messaging: Messaging;
  private readonly reader: Broker;
  private readonly stopReader = new AbortController();

  private constructor(connect: () => Broker, readonly topic: string) {
    this.messaging = createMessaging({ broker: connect(), source: 'interop', logger: silentLogger });
    this.reader = connect();
  }

  /** Subscribes both sides; resolves once every later message reaches them. */
  static async open(connect: () => Broker, topic: string, names: readonly string[]): Promise<Scene> {
    const scene = new Scene(connect, topic);
    await scene.reader.subscribe({ groupId: 'interop-ops', topics: [`${topic}.dlq`], concurrency: 1, signal: scene.stopReader.signal }, async (message) => {
      scene.record({ kind: 'dead-letter', value: message.value, key: message.key, headers: message.headers });
    });
    const record = async (event: Event, ctx: MessageContext): Promise<void> => scene.record({ kind: 'handled', event, ctx });
    const handlers = Object.fromEntries(names.map((name) => [name, record]));
    await scene.messaging.createConsumer({ groupId: 'interop', topics: topic, handlers, maxRetries: 0 }).start();
    return scene;
  }

  private record(outcome: Outcome): void {
    this.items.push(outcome);
    for (const waiter of this.waiters) if (this.items.length >= waiter.count) waiter.reached.resolve();
  }

  /** Waits until `count` outcomes were recorded in all, then returns them. */
  async settled(count: number, ms: number): Promise<readonly Outcome[]> {
    const reached = deferred();
    this.waiters.push({ count, reached });
    if (this.items.length >= count) reached.resolve();
    await withTimeout(reached.promise, ms, `${count} messages on ${this.topic} to be handled or dead-lettered`).catch((error: unknown) => {
      throw new Error(`${String(error)}; got ${JSON.stringify(this.items.map(describe))}`);
    });
    return [...this.items];
  }

  /** eventwire's own publisher, to prove the consumer still runs after the bad input. */
  publish(name: string, data: unknown): Promise<Event> {
    return this.messaging.publishEvent(name, data, { topic: this.topic });
  }

  async close(): Promise<void> {
    this.stopReader.abort();
    await this.messaging.close({ timeoutMs: 2_000 });
    await this.reader.close();
  }
}

function describe(outcome: Outcome): string {
  return outcome.kind === 'handled' ? `handled ${outcome.event.name} ${JSON.stringify(outcome.event.data)}` : `dead letter: ${outcome.headers['eventwire-error'] ?? ''}`;
}
