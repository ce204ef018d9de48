import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { deferred, withTimeout } from '../support/wait.js';
import { duplicates, killNode, ledger, lost, publishThroughLoss, receive } from './node-loss.js';

// Run by scripts/cluster-check.sh on the local RabbitMQ cluster (27021-27023), which restarts
// the killed node afterwards; not part of npm test.
const nodes = [27021, 27022, 27023].map((port) => `amqp://guest:guest@127.0.0.1:${port}`);
const TOTAL = Number(process.env.NODE_LOSS_MESSAGES ?? 10_000);

describe('RabbitMQ cluster: a node lost under load', function () {
  this.timeout(180_000);
  const id = randomBytes(4).toString('hex');
  const names = { exchange: `ew-loss-${id}`, topic: `loss-${id}`, group: `loss-${id}` };
  const opened: Broker[] = [];
  const controller = new AbortController();

  after(async () => {
    controller.abort();
    await Promise.all(opened.map((broker) => broker.close()));
    const admin = await connect(nodes[1] as string);
    const channel = await admin.createChannel();
    await channel.deleteQueue(`${names.group}.${names.topic}`);
    await channel.deleteExchange(names.exchange);
    await channel.deleteExchange(`${names.exchange}.dlq`);
    await admin.close();
  });

  it('loses no acknowledged message of a quorum queue when its leader node is killed', async () => {
    const broker = (): Broker => {
      const created = createRabbitMqBroker({ url: nodes, exchange: names.exchange, reconnectDelayMs: 200, logger: silentLogger });
      opened.push(created);
      return created;
    };
    const book = ledger();
    const all = deferred();
    // Declared through node 1, the first URL: the quorum queue's leader starts there, and both
    // clients are connected to it.
    await broker().subscribe({ groupId: names.group, topics: [names.topic], concurrency: 20, signal: controller.signal }, async (message) => {
      receive(book, message.value.toString());
      if (book.acknowledged.size === TOTAL && book.received.size === TOTAL) all.resolve();
    });
    const started = Date.now();
    const progress = setInterval(() => console.log(`      ${Date.now() - started} ms: ${book.acknowledged.size} acknowledged, ${book.received.size} received, ${book.rejected} rejected`), 2000);
    try {
      await publishThroughLoss(broker(), names.topic, { total: TOTAL, publishers: 20, killAfter: TOTAL / 4, retryMs: 100, kill: () => killNode('.cache/clusters/rabbitmq-1/server.pid', 'clusters/rabbitmq-1/home') }, book);
      if (book.received.size === TOTAL) all.resolve();
      await withTimeout(all.promise, 60_000, 'every acknowledged message').catch(() => undefined);
    } finally {
      clearInterval(progress);
    }
    const missing = lost(book);
    console.log(`      rabbitmq: ${TOTAL} acknowledged in ${Date.now() - started} ms, ${missing.length} lost, ${duplicates(book)} duplicates, ${book.rejected} rejected attempts, first acknowledged publish ${book.recoveryMs} ms after the kill`);
    assert.equal(book.acknowledged.size, TOTAL);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged messages lost`);
  });
});
