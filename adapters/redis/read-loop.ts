import type { Logger } from '../../lib/config/logger.js';
import type { RawEntry } from './codec.js';

/** What the read loop uses of its (dedicated) client; an ioredis client has it. */
export interface ReadClient {
  readonly status: string;
  xreadgroupBuffer(
    groupToken: 'GROUP', group: string, consumer: string, countToken: 'COUNT', count: number,
    blockToken: 'BLOCK', milliseconds: number, streamsToken: 'STREAMS', ...keysAndIds: string[]
  ): Promise<unknown>;
}

/** Who reads: a consumer of a group, on its topics, blocking up to `blockMs` per read. */
export interface Reader {
  readonly group: string;
  readonly consumer: string;
  readonly topics: readonly string[];
  readonly blockMs: number;
}

/** What the read loop asks of its member. */
export interface ReadHooks {
  /** How many entries to read now; 0 while none is wanted (the loop then waits for {@link ReadLoop.wake}). */
  capacity(): number;
  /**
   * Takes in the entries read from `topic`; `fromPending`: they were this consumer's pending ones.
   * Returns a promise only when it has to wait (Redis asked again), so that the common case costs
   * no await before the next read.
   */
  ingest(topic: string, entries: RawEntry[], fromPending: boolean): Promise<void> | undefined;
  /**
   * Called right before each read, in the same turn: the member sends the XACKs it has queued, so
   * that they reach Redis just ahead of the read rather than just after it.
   */
  beforeRead(): void;
  /** The stream or its group was deleted: creates the group again at the end of the stream. */
  recreateGroups(): Promise<void>;
}

/**
 * The blocking XREADGROUP loop of one member: first its own pending entries ('0', left by an
 * earlier consumer of the same name), then new ones ('>'), as many as the member has room for.
 * A failed read is retried after a backoff (50 ms doubling, at most 5 s).
 *
 * @example
 * const reads = new ReadLoop(reader, { group, consumer, topics, blockMs: 2000 }, logger, context, hooks);
 * void reads.run(); // … reads.stop();
 */
export class ReadLoop {
  readonly #client: ReadClient;
  readonly #reader: Reader;
  readonly #logger: Logger;
  readonly #context: Readonly<Record<string, unknown>>;
  readonly #hooks: ReadHooks;
  /** Per topic: '0' and then the last pending id read while reading own pending entries, '>' after. */
  readonly #cursors: Map<string, string>;
  /** The XREADGROUP arguments from `STREAMS` on, once every cursor is '>' (from then on they never change). */
  #steadyStreams: string[] | undefined;
  #stopped = false;
  #wake = (): void => {};

  constructor(client: ReadClient, reader: Reader, logger: Logger, context: Readonly<Record<string, unknown>>, hooks: ReadHooks) {
    this.#client = client;
    this.#reader = reader;
    this.#logger = logger;
    this.#context = context;
    this.#hooks = hooks;
    this.#cursors = new Map(reader.topics.map((topic) => [topic, '0']));
  }

  /** Ends the loop after the read in flight (the member disconnects the client to end it now). */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  /** The member's capacity or state changed: a waiting loop looks again. */
  wake(): void {
    this.#wake();
  }

  /** Reads until stop(); rejects only on a bug. */
  async run(): Promise<void> {
    const { group, consumer, blockMs } = this.#reader;
    for (let failures = 0; !this.#stopped; ) {
      const count = this.#hooks.capacity();
      if (count <= 0) {
        await this.#changed();
        continue;
      }
      try {
        const streams = this.#steadyStreams ?? this.#streams();
        this.#hooks.beforeRead();
        const reply = (await this.#client.xreadgroupBuffer('GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...streams)) as [Buffer, RawEntry[]][] | null;
        for (const [stream, entries] of reply ?? []) {
          const topic = stream.toString();
          const fromPending = this.#steadyStreams === undefined && this.#cursors.get(topic) !== '>';
          if (fromPending) this.#cursors.set(topic, entries.at(-1)?.[0].toString() ?? '>');
          const taking = this.#hooks.ingest(topic, entries, fromPending);
          if (taking !== undefined) await taking;
        }
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        failures += 1;
        await this.#failed(error, failures);
      }
    }
  }

  /** The keys and ids to read from now; kept once every topic reads new entries only. */
  #streams(): string[] {
    const { topics } = this.#reader;
    const ids = topics.map((topic) => this.#cursors.get(topic) ?? '>');
    const streams = [...topics, ...ids];
    if (ids.every((id) => id === '>')) this.#steadyStreams = streams;
    return streams;
  }

  async #failed(error: unknown, failures: number): Promise<void> {
    const context = { ...this.#context, topics: this.#reader.topics, error };
    if (error instanceof Error && error.message.startsWith('NOGROUP')) {
      this.#logger.warn('The stream or its consumer group was deleted; recreating the group at the end of the stream', context);
      await this.#hooks.recreateGroups().catch(() => {});
    } else {
      // Connection trouble is reported by the connection's own listener; a streak is logged once.
      this.#logger[failures === 1 && this.#client.status === 'ready' ? 'warn' : 'debug']('Reading from Redis failed; retrying', context);
    }
    await this.#changed(Math.min(50 * 2 ** failures, 5000));
  }

  /** Resolves on the next wake() or stop(), or after `ms`. */
  #changed(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.#wake = () => (clearTimeout(timer), resolve());
    });
  }
}
