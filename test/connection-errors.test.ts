import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { Redis, ReplyError } from 'ioredis';
import kafkajs from 'kafkajs';
import { BrokerLoginRefusedError, BrokerUnreachableError, createMessaging, PublishError, silentLogger, type Messaging } from '../entry/index.js';
import { finish, runCli } from './support/cli-process.js';
import { brokers, requireBroker } from './support/require-broker.js';

// What a user reads when the broker is down or refuses the login: the broker's name, its address
// with the password masked, and what is wrong, from a publish and from the CLI. A closed port
// plays the broker that is down.

const closedPort = 6399;
const waitMs = 30_000;
const cliArgs = ['consumer', 'test/fixtures/cli/echo.ts'];

describe('connection errors a user can act on', function () {
  this.timeout(60_000);
  const opened: Messaging[] = [];
  const messaging = (options: Parameters<typeof createMessaging>[0]): Messaging => {
    const instance = createMessaging({ logger: silentLogger, publishTimeoutMs: waitMs, ...options });
    opened.push(instance);
    return instance;
  };
  afterEach(() => Promise.all(opened.splice(0).map((instance) => instance.close({ timeoutMs: 1000 }))));

  /** The rejection of one publish to `topic`, which must be a PublishError caused by `cause`. */
  async function publishFailure(instance: Messaging, cause: new (...args: never[]) => Error, topic = 'connection-errors', data: unknown = {}): Promise<string> {
    const error = await instance.publishEvent('probe', data, { topic }).then(() => undefined, (reason: unknown) => reason);
    assert.ok(error instanceof PublishError, String(error));
    assert.equal(error.topic, topic);
    assert.ok(error.cause instanceof cause, `cause: ${String(error.cause)}`);
    return error.message;
  }

  describe('RabbitMQ', function () {
    const down = `amqp://guest:hunter2@127.0.0.1:${closedPort}`;

    it('names RabbitMQ and the masked address when it is unreachable, from a publish and from the CLI', async function () {
      const message = await publishFailure(messaging({ broker: 'rabbitmq', url: down }), BrokerUnreachableError);
      assert.match(message, /^RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:6399 is unreachable: connect ECONNREFUSED.*\. Send again once the broker is reachable\.$/);
      const cli = await finish(runCli(cliArgs, { env: { MESSAGING_BROKER: 'rabbitmq', RABBITMQ_URL: down } }), waitMs);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /^eventwire: could not start the consumers: RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:6399 is unreachable: connect ECONNREFUSED/m);
      assert.doesNotMatch(`${message}\n${cli.stderr}`, /hunter2|did not accept the message/);
    });

    it('says that RabbitMQ refused the login, not the message', async function () {
      await requireBroker(this, 'rabbitmq');
      const wrong = 'amqp://guest:not-the-password@127.0.0.1:5672';
      const message = await publishFailure(messaging({ broker: 'rabbitmq', url: wrong }), BrokerLoginRefusedError);
      assert.match(message, /^RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672 refused the login: 403 \(ACCESS-REFUSED\).* Check the user name, the password and the virtual host in the URL\. The message to "connection-errors" was not acknowledged\. Fix the credentials, then send again\.$/);
      const cli = await finish(runCli(cliArgs, { env: { MESSAGING_BROKER: 'rabbitmq', RABBITMQ_URL: wrong } }), waitMs);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /^eventwire: could not start the consumers: RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672 refused the login: 403/m);
      assert.doesNotMatch(`${message}\n${cli.stderr}`, /not-the-password|did not accept the message/);
    });

    it('points a login refused with clientOptions.credentials at them, not at the URL', async function () {
      await requireBroker(this, 'rabbitmq');
      const credentials = amqp.credentials.plain('guest', 'not-the-password');
      const message = await publishFailure(messaging({ broker: 'rabbitmq', url: 'amqp://127.0.0.1:5672', clientOptions: { credentials } }), BrokerLoginRefusedError);
      assert.match(message, /refused the login: 403 \(ACCESS-REFUSED\).* Check the user name and the password in `clientOptions\.credentials`, and the virtual host in the URL\./);
      assert.doesNotMatch(message, /not-the-password/);
    });

    it('says that RabbitMQ refused the virtual host, not that it is unreachable', async function () {
      await requireBroker(this, 'rabbitmq');
      const missing = `eventwire-missing-${process.pid}`;
      const message = await publishFailure(messaging({ broker: 'rabbitmq', url: `amqp://guest:guest@127.0.0.1:5672/${missing}` }), BrokerLoginRefusedError);
      assert.match(message, new RegExp(`^RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:5672/${missing} refused the login: the virtual host "${missing}" does not exist or the user may not open it\\.`));
    });
  });

  describe('Redis', function () {
    it('names Redis and the masked address in the publish error when it is unreachable', async function () {
      const message = await publishFailure(messaging({ broker: 'redis', url: `redis://:hunter2@127.0.0.1:${closedPort}` }), BrokerUnreachableError);
      assert.match(message, /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6399 is unreachable: connect ECONNREFUSED 127\.0\.0\.1:6399\. The message to "connection-errors" was not acknowledged\. Send again once the broker is reachable\.$/);
      assert.doesNotMatch(message, /hunter2|MaxRetriesPerRequest/);
    });

    it('says Redis at the masked address is unreachable when the CLI starts, without client internals', async function () {
      const url = `redis://:hunter2@127.0.0.1:${closedPort}`;
      const cli = await finish(runCli(cliArgs, { env: { MESSAGING_BROKER: 'redis', REDIS_URL: url } }), waitMs);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /^eventwire: could not start the consumers: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6399 is unreachable: connect ECONNREFUSED 127\.0\.0\.1:6399$/m);
      assert.doesNotMatch(cli.stderr, /MaxRetriesPerRequest|maxRetriesPerRequest|hunter2/);
    });
  });

  describe('Kafka', function () {
    const servers = `127.0.0.1:${closedPort}`;

    it('names Kafka and the bootstrap servers in the publish error', async function () {
      const message = await publishFailure(messaging({ broker: 'kafka', bootstrapServers: servers }), BrokerUnreachableError);
      assert.match(message, /^Kafka at 127\.0\.0\.1:6399 is unreachable: .*ECONNREFUSED 127\.0\.0\.1:6399/);
    });

    it('logs at most one line per connection attempt and ends the CLI with the same error', async function () {
      const cli = await finish(runCli(cliArgs, { env: { MESSAGING_BROKER: 'kafka', KAFKA_BOOTSTRAP_SERVERS: servers } }), waitMs);
      assert.equal(cli.code, 1);
      const lines = cli.stderr.split('\n');
      assert.match(lines.at(-1) ?? '', /^eventwire: could not start the consumers: Kafka at 127\.0\.0\.1:6399 is unreachable: .*ECONNREFUSED/);
      // The adapter's retry policy: the first attempt and 5 retries.
      const attempts = lines.filter((line) => line.includes('kafkajs:'));
      assert.ok(attempts.length <= 6, `${attempts.length} kafkajs lines for 6 attempts:\n${cli.stderr}`);
      assert.doesNotMatch(cli.stderr, /KafkaJSNumberOfRetriesExceeded|"namespace":"Connection"/);
    });
  });

  // A broker that is up but refuses the message: the PublishError's cause is the client's error,
  // and its message names the broker, the topic and the broker's reason.
  describe('a message the broker refuses', function () {
    const topic = (): string => `refused-${randomUUID().slice(0, 8)}`;

    it('Redis: a key of another type (WRONGTYPE)', async function () {
      await requireBroker(this, 'redis');
      const name = topic();
      const admin = new Redis(brokers.redis.url, { lazyConnect: true });
      try {
        await admin.set(name, 'not a stream');
        const message = await publishFailure(messaging({ broker: 'redis', url: brokers.redis.url }), ReplyError, name);
        assert.match(message, new RegExp(`^Redis did not acknowledge the message to "${name}": WRONGTYPE .*Fix what the broker reports`));
      } finally {
        await admin.del(name);
        admin.disconnect();
      }
    });

    it('RabbitMQ: an exchange deleted under the publisher (404 NOT_FOUND)', async function () {
      await requireBroker(this, 'rabbitmq');
      const exchange = topic();
      const instance = messaging({ broker: 'rabbitmq', url: brokers.rabbitmq.url, brokerOptions: { exchange } });
      await instance.publishEvent('probe', {}, { topic: 'refused' });
      const admin = await amqp.connect(brokers.rabbitmq.url);
      try {
        const channel = await admin.createChannel();
        await channel.deleteExchange(exchange);
        await channel.deleteExchange(`${exchange}.dlq`);
      } finally {
        await admin.close();
      }
      const error = await instance.publishEvent('probe', {}, { topic: 'refused' }).then(() => undefined, (reason: unknown) => reason);
      assert.ok(error instanceof PublishError && error.topic === 'refused', String(error));
      // amqplib's channel error, carrying the server's reply code.
      assert.equal((error.cause as { code?: unknown } | undefined)?.code, 404, `cause: ${String(error.cause)}`);
      const { message } = error;
      assert.match(message, /^RabbitMQ did not acknowledge the message to "refused": .*404 \(NOT-FOUND\).*Fix what the broker reports/);
    });

    it('Kafka: a message over the broker\'s message.max.bytes', async function () {
      this.timeout(60_000);
      await requireBroker(this, 'kafka');
      const name = topic();
      const instance = messaging({ broker: 'kafka', bootstrapServers: brokers.kafka.url, maxMessageBytes: 4_000_000 });
      const message = await publishFailure(instance, kafkajs.KafkaJSProtocolError, name, { blob: 'x'.repeat(2_000_000) });
      assert.match(message, new RegExp(`^Kafka did not acknowledge the message to "${name}": .*larger than the max message size`));
    });
  });
});
