import { randomBytes } from 'node:crypto';
import { consoleLogger, createMessaging, silentLogger, type Broker, type Messaging, type MessagingOptions } from '../../entry/index.js';

/**
 * What a broker brings to the conformance suite: a way to open connections and its limits.
 * A real broker adds a file `test/conformance/<broker>.test.ts` that calls
 * `runConformanceSuite({ name, connect, ... })`.
 */
export interface ConformanceTarget {
  readonly name: string;
  /** A new, independent connection to the same broker: one "process" of a service. */
  connect(): Broker;
  /** Runs before the suite; real brokers call `requireBroker` here. */
  prepare?(context: Mocha.Context): Promise<void>;
  /** Upper bound for a message to arrive in normal operation. */
  readonly deliveryTimeoutMs: number;
  /** Upper bound for a crashed member's message to reach another member. */
  readonly crashRedeliveryTimeoutMs: number;
  /** Runs once the suite ended: deletes what the suite left on the broker. */
  cleanup?(): Promise<void>;
}

/** Opens "processes" (instances on their own connections) and closes them after each test. */
export class Harness {
  private readonly open: { messaging: Messaging; broker: Broker }[] = [];

  constructor(readonly target: ConformanceTarget) {}

  /** A unique topic name, so tests never see each other's messages. */
  topic(label: string): string {
    return `cf-${label}-${randomBytes(4).toString('hex')}`;
  }

  process(options: Omit<MessagingOptions, 'broker'> = {}): { messaging: Messaging; broker: Broker } {
    const broker = this.target.connect();
    const messaging = createMessaging({ broker, source: 'conformance', logger: process.env.CONFORMANCE_LOG === '1' ? consoleLogger : silentLogger, ...options });
    this.open.push({ messaging, broker });
    return { messaging, broker };
  }

  async closeAll(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map(({ messaging }) => messaging.close({ timeoutMs: 1_000 }).catch(() => {})));
    // Some tests use a process's broker directly, which its instance never opened nor closes.
    await Promise.all(all.map(({ broker }) => broker.close().catch(() => {})));
  }
}
