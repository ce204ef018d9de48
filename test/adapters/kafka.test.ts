import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { Kafka, Partitioners, logLevel, type KafkaMessage } from 'kafkajs';
import { createKafkaBroker, type KafkaBrokerOptions } from '../../adapters/kafka/index.js';
import { createMessaging } from '../../entry/index.js';
import { createProxy, type ConnectionTap } from '../support/proxy.js';
import type { Broker, DeliveryCallback, IncomingMessage, OutgoingMessage } from '../../lib/broker.js';
import { BrokerUnreachableError, MessagingClosedError } from '../../lib/errors/index.js';
import { silentLogger, type Logger } from '../../lib/config/logger.js';
import { invalidOption } from '../support/invalid-option.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

const bootstrap = brokers.kafka.url.split(',');
/** Fast group settings: Kafka 4 accepts session timeouts from 6 s. */
const fast = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, redeliveryDelayMs: 200 } as const;

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

function capture(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const unique = (what: string): string => `eventwire-test-${what}-${randomUUID().slice(0, 8)}`;
const text = (value: string, key?: string, headers: Record<string, string> = {}): OutgoingMessage => ({ key, headers, value: Buffer.from(value) });

describe('Kafka adapter', function () {
  this.timeout(30_000);
  const opened: Broker[] = [];
  const controllers: AbortController[] = [];
  const releases: (() => void)[] = [];

  const open = (options: Partial<KafkaBrokerOptions> = {}): Broker => {
    const broker = createKafkaBroker({ bootstrapServers: bootstrap, ...fast, logger: capture(), ...options });
    opened.push(broker);
    return broker;
  };
  const subscribe = async (broker: Broker, groupId: string, topics: string[], deliver: DeliveryCallback, concurrency = 1) => {
    const controller = new AbortController();
    controllers.push(controller);
    const subscription = await broker.subscribe({ groupId, topics, concurrency, signal: controller.signal }, deliver);
    return { controller, subscription };
  };

  before(async function () {
    await requireBroker(this, 'kafka');
  });

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    for (const controller of controllers.splice(0)) controller.abort();
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
  });

  it('writes plain Kafka records: value bytes, key, string headers, partition by key', async () => {
    const broker = open();
    const topic = unique('wire');
    const payload = Buffer.from([0x7b, 0x7d, 0x00, 0xff]);
    await broker.publish(topic, [
      { key: 'user-7', headers: { 'content-type': 'application/json', trace: 'abc' }, value: payload },
      text('second', 'user-7'),
      text('unkeyed'),
    ]);

    const raw = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING });
    const admin = raw.admin();
    const consumer = raw.consumer({ groupId: unique('raw') });
    try {
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      assert.equal(partitions.length, 3, 'topics are created with 3 partitions by default');

      // By value: the raw consumer may read a record twice (its group rebalances as it starts),
      // and three deliveries are then not three records.
      const byRecord = new Map<string, { partition: number; message: KafkaMessage }>();
      const allThree = deferred();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          byRecord.set(message.value?.toString('latin1') ?? '', { partition, message });
          if (byRecord.size >= 3) allThree.resolve();
        },
      });
      await withTimeout(allThree.promise, 15_000, 'the raw consumer to read 3 records');
      const records = [...byRecord.values()];

      const byValue = (value: string) => records.find((r) => r.message.value?.toString('latin1') === value);
      const first = byValue(payload.toString('latin1'));
      const second = byValue('second');
      const unkeyed = byValue('unkeyed');
      assert.ok(first && second && unkeyed);
      assert.deepEqual(first.message.value, payload);
      assert.equal(first.message.key?.toString(), 'user-7');
      assert.deepEqual(
        Object.fromEntries(Object.entries(first.message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        { 'content-type': 'application/json', trace: 'abc' },
      );
      assert.equal(unkeyed.message.key, null);
      assert.equal(second.partition, first.partition, 'one key, one partition');
      assert.ok(Number(second.message.offset) > Number(first.message.offset), 'a batch keeps its order');
      const partitionMetadata = partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, partitionErrorCode: 0, replicas: p.replicas, isr: p.isr }));
      const expected = Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key: 'user-7', value: null } });
      assert.equal(first.partition, expected, 'the Java-compatible murmur2 partitioner places the key');
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
  });

  it('round-trips a message to a subscriber', async () => {
    const broker = open();
    assert.equal(broker.name, 'kafka');
    assert.deepEqual(broker.capabilities, { persistent: true, deliveryCount: false, keyAffinity: true });
    const topic = unique('roundtrip');
    const received = deferred<IncomingMessage>();
    await subscribe(broker, unique('group'), [topic], async (m) => received.resolve(m));
    await broker.publish(topic, [text('{"id":1}', 'k1', { 'x-event': 'created' })]);
    const message = await withTimeout(received.promise, 10_000, 'the message');
    assert.equal(message.topic, topic);
    assert.equal(message.key, 'k1');
    assert.deepEqual(message.headers, { 'x-event': 'created' });
    assert.equal(message.value.toString(), '{"id":1}');
    assert.match(message.id, /^\d+:0$/);
    assert.equal(message.deliveryCount, undefined);
  });

  it('starts a new group at the end of the topic', async () => {
    const broker = open();
    const topic = unique('end');
    await broker.publish(topic, [text('before', 'k')]);
    const seen = collector<string>(1);
    await subscribe(broker, unique('group'), [topic], async (m) => seen.push(m.value.toString()));
    await broker.publish(topic, [text('after', 'k')]);
    assert.deepEqual(await withTimeout(seen.done, 10_000, 'the message published after subscribing'), ['after']);
  });

  it('shares the messages of a group between its members, one key per member', async () => {
    const [a, b] = [open(), open()];
    const topic = unique('share');
    const group = unique('group');
    const all = collector<string>(30);
    const owner = new Map<string, Set<string>>();
    const member = (name: string): DeliveryCallback => async (m) => {
      owner.set(m.key ?? '', (owner.get(m.key ?? '') ?? new Set()).add(name));
      all.push(`${name}:${m.value.toString()}`);
    };
    await subscribe(a, group, [topic], member('a'));
    await subscribe(b, group, [topic], member('b'));
    await a.publish(topic, Array.from({ length: 30 }, (_, i) => text(String(i), `key-${i}`)));
    const items = await withTimeout(all.done, 15_000, '30 messages across the group');
    assert.deepEqual(items.map((item) => Number(item.split(':')[1])).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i));
    assert.ok(items.some((item) => item.startsWith('a:')) && items.some((item) => item.startsWith('b:')), 'both members got messages');
    for (const [key, names] of owner) assert.equal(names.size, 1, `key ${key} reached one member`);
  });

  it('serves members of one group that subscribe to different topics', async () => {
    const [a, b] = [open(), open()];
    const [orders, payments] = [unique('orders'), unique('payments')];
    const group = unique('group');
    const toA = collector<string>(3);
    const toB = collector<string>(3);
    await subscribe(a, group, [orders], async (m) => toA.push(`${m.topic === orders ? 'orders' : 'other'}:${m.value.toString()}`));
    await subscribe(b, group, [payments], async (m) => toB.push(`${m.topic === payments ? 'payments' : 'other'}:${m.value.toString()}`));
    await a.publish(orders, ['1', '2', '3'].map((v) => text(v, `k${v}`)));
    await a.publish(payments, ['1', '2', '3'].map((v) => text(v, `k${v}`)));
    assert.deepEqual((await withTimeout(toA.done, 10_000, 'the orders')).sort(), ['orders:1', 'orders:2', 'orders:3']);
    assert.deepEqual((await withTimeout(toB.done, 10_000, 'the payments')).sort(), ['payments:1', 'payments:2', 'payments:3']);
  });

  it('gives every group every message', async () => {
    const broker = open();
    const topic = unique('fanout');
    const first = collector<string>(5);
    const second = collector<string>(5);
    await subscribe(broker, unique('g1'), [topic], async (m) => first.push(m.value.toString()));
    await subscribe(broker, unique('g2'), [topic], async (m) => second.push(m.value.toString()));
    for (const value of ['0', '1', '2', '3', '4']) await broker.publish(topic, [text(value)]);
    // Unkeyed messages are spread over the partitions: no order between them.
    assert.deepEqual([...(await withTimeout(first.done, 10_000, 'group 1'))].sort(), ['0', '1', '2', '3', '4']);
    assert.deepEqual([...(await withTimeout(second.done, 10_000, 'group 2'))].sort(), ['0', '1', '2', '3', '4']);
  });

  it('keeps the order of each key with concurrency across partitions', async () => {
    const broker = open();
    const topic = unique('order');
    const seen = collector<IncomingMessage>(30);
    await subscribe(broker, unique('group'), [topic], async (m) => seen.push(m), 3);
    const batch = Array.from({ length: 30 }, (_, i) => text(String(Math.floor(i / 3)), `key-${i % 3}`));
    await broker.publish(topic, batch.slice(0, 15));
    await broker.publish(topic, batch.slice(15));
    const messages = await withTimeout(seen.done, 15_000, '30 messages');
    for (const key of ['key-0', 'key-1', 'key-2']) {
      const values = messages.filter((m) => m.key === key).map((m) => Number(m.value.toString()));
      assert.deepEqual(values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `order of ${key}`);
    }
  });

  it('delivers a message again, from the same offset, after its callback rejected', async () => {
    const broker = open();
    const topic = unique('retry');
    const seen = collector<IncomingMessage>(3);
    let failed = false;
    await subscribe(broker, unique('group'), [topic], async (m) => {
      seen.push(m);
      if (!failed) {
        failed = true;
        throw new Error('handler failed');
      }
    });
    await broker.publish(topic, [text('a', 'k'), text('b', 'k')]);
    const [first, again, next] = await withTimeout(seen.done, 10_000, 'the redelivery and the next message');
    assert.ok(first && again && next);
    assert.equal(again.id, first.id, 'same partition and offset');
    assert.equal(again.value.toString(), 'a');
    assert.equal(next.value.toString(), 'b', 'the next message waits for the redelivered one');
  });

  it('hands the in-flight message of a closed member to another member', async () => {
    const [a, b] = [open(), open()];
    const topic = unique('crash');
    const group = unique('group');
    const first = deferred<{ name: string; id: string }>();
    const second = deferred<{ name: string; id: string }>();
    const blocked = deferred();
    releases.push(() => blocked.resolve());
    let deliveries = 0;
    const member = (name: string): DeliveryCallback => async (m) => {
      deliveries += 1;
      if (deliveries === 1) {
        first.resolve({ name, id: m.id });
        await blocked.promise; // the "process" dies while handling it
      } else second.resolve({ name, id: m.id });
    };
    await subscribe(a, group, [topic], member('a'));
    await subscribe(b, group, [topic], member('b'));
    await a.publish(topic, [text('work', 'k')]);
    const taken = await withTimeout(first.promise, 10_000, 'the first delivery');

    const started = Date.now();
    await (taken.name === 'a' ? a : b).close();
    assert.ok(Date.now() - started < 5000, `close() returned after ${Date.now() - started} ms`);
    const redelivered = await withTimeout(second.promise, 20_000, 'the redelivery to the surviving member');
    assert.notEqual(redelivered.name, taken.name);
    assert.equal(redelivered.id, taken.id);
  });

  it('on abort, finishes and commits in-flight callbacks before closing', async () => {
    const broker = open();
    const topic = unique('drain');
    const group = unique('group');
    const received = deferred();
    const release = deferred();
    releases.push(() => release.resolve());
    let closedEarly: boolean | undefined;
    let settled = false;
    const { controller, subscription } = await subscribe(broker, group, [topic], async () => {
      received.resolve();
      await release.promise;
      closedEarly = settled;
    });
    void subscription.closed.then(() => (settled = true));
    await broker.publish(topic, [text('old', 'k')]);
    await withTimeout(received.promise, 10_000, 'the first delivery');
    controller.abort();
    release.resolve();
    await withTimeout(subscription.closed, 15_000, 'the subscription to close');
    assert.equal(closedEarly, false, 'closed settled only after the callback finished');

    const seen = collector<string>(1);
    await subscribe(open(), group, [topic], async (m) => seen.push(m.value.toString()));
    await broker.publish(topic, [text('new', 'k')]);
    assert.deepEqual(await withTimeout(seen.done, 10_000, 'the new message'), ['new'], 'the old message was committed');
  });

  it('logs no error when its topics exist already, also when two clients create one at once', async () => {
    const existing = unique('exists');
    await open().publish(existing, [text('created', 'k')]);
    const logger = capture();
    const again = open({ logger });
    await again.publish(existing, [text('again', 'k')]);
    await subscribe(again, unique('group'), [existing], async () => {});

    // Both list the topics before either creates it: one of the CreateTopics answers "exists".
    // (Subscribing, not publishing: a Produce right after creation may meet a partition whose
    // leader is not serving yet, which kafkajs retries and logs; that is not this test's subject.)
    const fresh = unique('race');
    const [a, b] = [capture(), capture()];
    await Promise.all([subscribe(open({ logger: a }), unique('group'), [fresh], async () => {}), subscribe(open({ logger: b }), unique('group'), [fresh], async () => {})]);
    const errors = [...logger.lines, ...a.lines, ...b.lines].filter((line) => line.level === 'error');
    assert.deepEqual(errors, []);
  });

  it('never acknowledges a message it did not store when a connection drops after a write', async () => {
    // Found by tools/faults/scenarios/connection-cut.ts: 1 acknowledged message in ~300 was missing from
    // the topic. kafkajs's idempotent producer rolls a partition's sequence number back when a
    // Produce request fails, also when Kafka stored that batch and only the answer was lost; the
    // next batch to that partition then reuses the number, Kafka takes it for a duplicate of the
    // stored one, and acknowledges it without writing it.
    const kafkaPort = Number(bootstrap[0]?.split(':')[1] ?? 9092);
    const cutter = await produceCutter(kafkaPort);
    try {
      const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) =>
        connectTcp({ host, port: port === kafkaPort ? cutter.port : port }, onConnect);
      const broker = open({ bootstrapServers: [`127.0.0.1:${cutter.port}`], clientOptions: { socketFactory } });
      const topic = unique('cut-after-write');
      await broker.publish(topic, [text('warm-up', 'k')]);
      cutter.arm();
      const sent = Array.from({ length: 20 }, (_, index) => `m-${index}`);
      const outcomes = await Promise.allSettled(sent.map((value) => broker.publish(topic, [text(value, 'k')])));
      assert.equal(cutter.cuts, 1, 'the connection was cut after a Produce reached Kafka');
      const acknowledged = sent.filter((_, index) => outcomes[index]?.status === 'fulfilled');
      // Without any acknowledged message "acknowledged but not stored" below would hold vacuously.
      assert.ok(acknowledged.length > 0, `no publish was acknowledged after the cut: ${outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok')).join('; ')}`);

      const raw = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING });
      const consumer = raw.consumer({ groupId: unique('raw') });
      try {
        const stored = new Set<string>();
        const all = deferred();
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            stored.add(message.value?.toString() ?? '');
            if (acknowledged.every((value) => stored.has(value))) all.resolve();
          },
        });
        await withTimeout(all.promise, 15_000, `every acknowledged message in the topic (acknowledged ${acknowledged.length}, missing ${acknowledged.filter((v) => !stored.has(v)).join(', ')})`).catch(() => {});
        assert.deepEqual(acknowledged.filter((value) => !stored.has(value)), [], 'acknowledged but not stored');
      } finally {
        await consumer.disconnect();
      }
    } finally {
      await cutter.close();
    }
  });

  it('stops in bounded time when the broker goes silent while a commit is in flight', async () => {
    // Found by tools/faults/scenarios/connection-cut.ts: with the network blackholed, stopping waited
    // for the offset commit, then for the LeaveGroup, until kafkajs's request timeouts (minutes).
    const kafkaPort = Number(bootstrap[0]?.split(':')[1] ?? 9092);
    const proxy = await createProxy(kafkaPort);
    try {
      // Kafka advertises its own address: every socket to it goes through the proxy.
      const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) =>
        connectTcp({ host, port: port === kafkaPort ? proxy.port : port }, onConnect);
      const silent = open({ bootstrapServers: [`127.0.0.1:${proxy.port}`], clientOptions: { socketFactory } });
      const topic = unique('silent');
      const received = deferred();
      const release = deferred();
      releases.push(() => release.resolve());
      const { controller, subscription } = await subscribe(silent, unique('group'), [topic], async () => {
        received.resolve();
        await release.promise;
      });
      await open().publish(topic, [text('in flight', 'k')]);
      await withTimeout(received.promise, 10_000, 'the delivery');
      proxy.blackhole();
      controller.abort();
      release.resolve();
      await withTimeout(subscription.closed, 12_000, 'the subscription to close while Kafka is silent');
    } finally {
      proxy.restore();
      await proxy.close();
    }
  });

  it('refuses bad options with an InvalidArgumentError naming the option as written, built by hand or configured', async () => {
    const cases: [options: Record<string, unknown>, argument: string, message: string][] = [
      [{ bootstrapServers: [] }, 'bootstrapServers', 'Expected `bootstrapServers` to be "host:port" or a non-empty array of them, got an array.'],
      [{ bootstrapServers: 'localhost' }, 'bootstrapServers', 'Expected `bootstrapServers` to be a list of "host:port" with ports from 1 to 65535, got "localhost".'],
      [{ bootstrapServers: ['h:70000'] }, 'bootstrapServers', 'Expected `bootstrapServers` to be a list of "host:port" with ports from 1 to 65535, got "h:70000".'],
      [{ brokers: bootstrap }, 'brokers', 'Unknown option `brokers` in createKafkaBroker options. Known options: bootstrapServers, clientOptions, logger, clientId, partitions, replicationFactor, minInSyncReplicas, sessionTimeoutMs, heartbeatIntervalMs, redeliveryDelayMs, stallTimeoutMs.'],
      [{ partition: 6 }, 'partition', 'Unknown option `partition` in createKafkaBroker options. Did you mean `partitions`? Known options: bootstrapServers, clientOptions, logger, clientId, partitions, replicationFactor, minInSyncReplicas, sessionTimeoutMs, heartbeatIntervalMs, redeliveryDelayMs, stallTimeoutMs.'],
      [{ partitions: 0 }, 'partitions', 'Expected `partitions` to be an integer of at least 1, got 0.'],
      [{ partitions: 1.5 }, 'partitions', 'Expected `partitions` to be an integer of at least 1, got 1.5.'],
      [{ replicationFactor: 0 }, 'replicationFactor', 'Expected `replicationFactor` to be an integer from 1 to 32767, got 0.'],
      [{ minInSyncReplicas: '2' }, 'minInSyncReplicas', 'Expected `minInSyncReplicas` to be an integer from 1 to 32767, got "2".'],
      [
        { replicationFactor: 2, minInSyncReplicas: 3 },
        'minInSyncReplicas',
        'Expected `minInSyncReplicas` (3) to be at most `replicationFactor` (2): no publish could ever be acknowledged. Lower it, or raise `replicationFactor`.',
      ],
      [{ sessionTimeoutMs: '6000' }, 'sessionTimeoutMs', 'Expected `sessionTimeoutMs` to be an integer of at least 1, got "6000".'],
      [{ redeliveryDelayMs: -1 }, 'redeliveryDelayMs', 'Expected `redeliveryDelayMs` to be a non-negative integer, got -1.'],
      [{ clientId: '' }, 'clientId', 'Expected `clientId` to be a non-empty string, got "".'],
      [{ clientOptions: [] }, 'clientOptions', 'Expected `clientOptions` to be an object, got an array.'],
      [{ logger: console.log }, 'logger', 'Expected `logger` to be an object, got a function.'],
      [
        { sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000 },
        'heartbeatIntervalMs',
        'Expected `heartbeatIntervalMs` (6000) to be lower than `sessionTimeoutMs` (6000); a third of it is usual.',
      ],
      [
        { sessionTimeoutMs: 6000, stallTimeoutMs: 6000 },
        'stallTimeoutMs',
        "Expected `stallTimeoutMs` (6000) to be greater than `sessionTimeoutMs` (6000): a rebalance waiting for a dead member's session fetches nothing either.",
      ],
    ];
    for (const [options, argument, message] of cases) {
      assert.throws(() => createKafkaBroker({ bootstrapServers: bootstrap, ...options } as unknown as KafkaBrokerOptions), invalidOption(argument, message));
    }
    // Through configureMessaging, brokerOptions hold only the adapter's own settings.
    const configured = (brokerOptions: Record<string, unknown>) => () => createMessaging({ broker: 'kafka', bootstrapServers: 'k1:9092, k2:9093', brokerOptions, logger: silentLogger });
    assert.throws(configured({ partition: 6 }), invalidOption('partition', 'Unknown option `partition` in brokerOptions for Kafka. Did you mean `partitions`? Known options: clientId, partitions, replicationFactor, minInSyncReplicas, sessionTimeoutMs, heartbeatIntervalMs, redeliveryDelayMs, stallTimeoutMs.'));
    assert.throws(configured({ bootstrapServers: 'k3:9092' }), invalidOption('bootstrapServers', /^Unknown option `bootstrapServers` in brokerOptions for Kafka\./));
    assert.throws(configured({ partitions: 0 }), invalidOption('partitions', 'Expected `partitions` to be an integer of at least 1, got 0.'));
    const messaging = configured({ partitions: 6 })();
    assert.equal(messaging.brokerName, 'kafka');
    await messaging.close();
  });

  it('rejects a publish to an unreachable broker in bounded time, without logging secrets', async function () {
    this.timeout(20_000);
    const logger = capture();
    const broker = open({ bootstrapServers: ['127.0.0.1:1'], logger, clientOptions: { sasl: { mechanism: 'plain', username: 'svc', password: 'hunter2-secret' } } });
    const started = Date.now();
    await assert.rejects(broker.publish(unique('nowhere'), [text('x')]), BrokerUnreachableError);
    assert.ok(Date.now() - started < 15_000, `rejected after ${Date.now() - started} ms`);
    assert.ok(logger.lines.length > 0, 'kafkajs errors are forwarded');
    assert.ok(!JSON.stringify(logger.lines).includes('hunter2-secret'));

    const aborted = Date.now();
    await assert.rejects(broker.publish(unique('nowhere'), [text('x')], AbortSignal.timeout(100)), { name: 'TimeoutError' });
    assert.ok(Date.now() - aborted < 2000, 'the AbortSignal ends the wait');

    await broker.close();
    await assert.rejects(broker.publish('t', [text('x')]), MessagingClosedError);
  });
});

/**
 * A TCP proxy to Kafka that, once armed, resets the connection carrying the next Produce request
 * as soon as Kafka answers it: the batch is stored but the client never sees the answer.
 */
async function produceCutter(kafkaPort: number): Promise<{ port: number; cuts: number; arm(): void; close(): Promise<void> }> {
  const PRODUCE = 0;
  const state = { armed: false, cuts: 0 };
  const tap = (): ConnectionTap => {
    let pending = Buffer.alloc(0);
    let cutOnAnswer = false;
    return {
      toBroker(chunk) {
        // Kafka requests: int32 size, then int16 api key.
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
          if (pending.readInt16BE(4) === PRODUCE && state.armed) {
            state.armed = false;
            cutOnAnswer = true;
          }
          pending = pending.subarray(4 + pending.readInt32BE(0));
        }
      },
      toClient() {
        if (!cutOnAnswer) return true;
        state.cuts += 1;
        return false;
      },
    };
  };
  const proxy = await createProxy(kafkaPort, { tap });
  return {
    port: proxy.port,
    get cuts() {
      return state.cuts;
    },
    arm: () => void (state.armed = true),
    close: () => proxy.close(),
  };
}
