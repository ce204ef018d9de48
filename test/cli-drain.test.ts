import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { settledDepth } from './support/queue-depth.js';
import { brokers, requireBroker, type RealBrokerName } from './support/require-broker.js';
import { finish, interruptGroup, killCli, runCli, type RunCliOptions, type RunningCli } from './support/cli-process.js';

// Ctrl-C on a worker: the CLI, started as the README says, and its whole process group get one
// SIGINT while a handler is in flight. It must drain (the handler finishes, its message is
// acknowledged) and exit 0, on every broker that reaches across processes. The npm launcher
// delivers the signal twice, as `npm run worker` does where /bin/sh is bash: counted twice, it
// would make the CLI exit at once with "received SIGINT again". Each broker runs it several
// times, so that a failure in one run of three cannot pass unnoticed.

const runsPerBroker = 6;
const waitMs = 60_000;

/** Whether the broker holds no unacknowledged message for the group, once the CLI exited. */
type AckCheck = (topic: string, group: string) => Promise<void>;

const ackChecks: Record<RealBrokerName, AckCheck> = {
  async redis(topic, group) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(brokers.redis.url);
    try {
      const [pending] = (await redis.xpending(topic, group)) as [number];
      assert.equal(pending, 0, 'entries left pending (unacknowledged)');
    } finally {
      await redis.del(topic);
      redis.disconnect();
    }
  },
  async rabbitmq(topic, group) {
    const { connect } = await import('amqplib');
    const connection = await connect(brokers.rabbitmq.url);
    try {
      const channel = await connection.createChannel();
      // The CLI closed its channel before exiting: an unacknowledged message would be back in the queue.
      assert.equal(await settledDepth(channel, `${group}.${topic}`), 0, 'a message went back to the queue (unacknowledged)');
      await channel.deleteQueue(`${group}.${topic}`);
      await channel.deleteQueue(`${topic}.dlq`);
    } finally {
      await connection.close();
    }
  },
  async kafka(topic, group) {
    const { Kafka, logLevel } = (await import('kafkajs')).default;
    const admin = new Kafka({ brokers: brokers.kafka.url.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const { partition, high } of ends) {
        const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset;
        assert.equal(offset, high, `partition ${partition}: committed ${offset}, end ${high}`);
      }
      await admin.deleteGroups([group]).catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    } finally {
      await admin.disconnect();
    }
  },
};

const addressVariables: Record<RealBrokerName, string> = { redis: 'REDIS_URL', rabbitmq: 'RABBITMQ_URL', kafka: 'KAFKA_BOOTSTRAP_SERVERS' };

describe('eventwire CLI: one Ctrl-C drains on a real broker', function () {
  this.timeout(runsPerBroker * waitMs);
  const started: RunningCli[] = [];
  afterEach(() => started.splice(0).forEach(killCli));

  for (const broker of ['redis', 'rabbitmq', 'kafka'] as const) {
    describe(broker, function () {
      before(async function () {
        await requireBroker(this, broker);
      });

      it(`finishes the handler in flight, acknowledges it and exits 0 (${runsPerBroker} runs, alternating launchers)`, async function () {
        for (let run = 1; run <= runsPerBroker; run += 1) {
          const launcher = run % 2 === 1 ? 'npm' : 'node';
          await drainOnce(broker, launcher, run, (cli) => started.push(cli));
        }
      });
    });
  }
});

async function drainOnce(broker: RealBrokerName, launcher: NonNullable<RunCliOptions['launcher']>, run: number, track: (cli: RunningCli) => void): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const topic = `cli-drain-${broker}-${suffix}`;
  const group = `cli-drain-${suffix}`;
  const env = { MESSAGING_BROKER: broker, [addressVariables[broker]]: brokers[broker].url, CLI_TOPIC: topic, CLI_GROUP: group };
  const cli = runCli(['consumer', 'test/fixtures/cli/in-flight.ts'], { env, launcher });
  track(cli);
  const what = `run ${run} (${launcher})`;
  await cli.waitForLine('stderr', new RegExp(`^eventwire: consuming ${topic} as group ${group}$`), waitMs);
  cli.send(`publish ${topic} m${run}`);
  await cli.waitForLine('stdout', new RegExp(`^started m${run}$`), waitMs);
  interruptGroup(cli);
  const result = await finish(cli, waitMs);
  assert.equal(result.code, 0, `${what}: exit code\n${result.stderr}`);
  assert.match(result.stdout, new RegExp(`^finished m${run}$`, 'm'), `${what}: the handler did not finish`);
  assert.doesNotMatch(result.stderr, /received SIGINT again/, `${what}: one SIGINT was counted twice`);
  assert.match(result.stderr, /^eventwire: received SIGINT; stopping/m, what);
  assert.match(result.stderr, /^eventwire: stopped$/m, what);
  await ackChecks[broker](topic, group);
}
