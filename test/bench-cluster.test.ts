import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { parseCli } from '../tools/bench/cli.js';
import { clusterScenarioIds, clusterVariables, pointAtClusters } from '../tools/bench/cluster.js';
import { addresses, nodeUrls } from '../tools/bench/config.js';
import { planClusterScenarios, planScenarios } from '../tools/bench/plan.js';

// `npm run bench -- --cluster` (tools/bench/cluster.ts): its options, its plan and where it points
// the clients, without running a case (that needs the clusters; see docs/clusters.md).

describe('bench on the clusters: options and plan', () => {
  it('--cluster runs on the three clusters, without peers, in either mode', () => {
    const quick = parseCli(['--cluster', '--quick']);
    assert.equal(quick.cluster, true);
    assert.deepEqual(quick.brokers, ['redis', 'rabbitmq', 'kafka']);
    assert.equal(quick.peers, false);
    assert.equal(quick.reps, 1);
    const full = parseCli(['--cluster', '--broker', 'kafka,redis', '--reps', '3']);
    assert.deepEqual(full.brokers, ['kafka', 'redis']);
    assert.equal(full.peers, false, 'a full run leaves the peers out on the clusters too');
    assert.equal(full.reps, 3);
    assert.equal(parseCli([]).cluster, false);
    assert.deepEqual(parseCli([]).brokers, ['redis', 'rabbitmq', 'kafka', 'memory']);
  });

  it('--cluster refuses the in-process broker, the peers and a scenario it does not run, saying what it takes', () => {
    assert.throws(() => parseCli(['--cluster', '--broker', 'memory']), /--cluster runs on redis, rabbitmq, kafka; "memory" has no local cluster/);
    assert.throws(() => parseCli(['--cluster', '--peers']), /leave out --peers/);
    assert.throws(() => parseCli(['--cluster', '--only', 'http']), /--cluster runs send-awaited, .*consume-c16; --only "http" matches none of them/);
    assert.throws(() => parseCli(['--cluster', '--only', 'send,otel-sdk']), /--only "otel-sdk"/);
    assert.deepEqual(parseCli(['--cluster', '--only', 'send,consume-c1']).only, ['send', 'consume-c1']);
    // The same choices without --cluster stay what they were.
    assert.deepEqual(parseCli(['--broker', 'memory', '--only', 'http']).brokers, ['memory']);
  });

  it('plans the single-broker send and consume scenarios unchanged, eventwire against the raw client only', () => {
    const plan = planClusterScenarios(['redis', 'rabbitmq', 'kafka'], []);
    assert.deepEqual(
      plan.map((scenario) => `${scenario.broker} ${scenario.id}`),
      ['redis', 'rabbitmq', 'kafka'].flatMap((broker) => clusterScenarioIds.map((id) => `${broker} ${id}`)),
    );
    const single = planScenarios(['redis', 'rabbitmq', 'kafka'], [], false);
    for (const scenario of plan) {
      assert.deepEqual(scenario, single.find((candidate) => candidate.id === scenario.id && candidate.broker === scenario.broker), `${scenario.broker} ${scenario.id}`);
      assert.ok(Object.values(scenario.cases).every((spec) => spec.impl === 'eventwire' || spec.impl === 'raw'), `${scenario.id}: no peer`);
    }
    assert.deepEqual(
      planClusterScenarios(['kafka'], ['consume']).map((scenario) => scenario.id),
      ['consume-c1', 'consume-c16'],
    );
  });

  it('points both sides at every node of the clusters of scripts/clusters.sh, through the variables eventwire reads', async () => {
    const header = await readFile(new URL('../scripts/clusters.sh', import.meta.url), 'utf8');
    const range = (broker: string): number[] => {
      const [, from = '0', to = '0'] = new RegExp(`#\\s+${broker}\\s.*?(?:clients|AMQP)\\s+(\\d+)-(\\d+)`).exec(header) ?? [];
      return Array.from({ length: Number(to) - Number(from) + 1 }, (_, index) => Number(from) + index);
    };
    const portsOf = (value: string): number[] => [...value.matchAll(/:(\d+)(?=,|$)/g)].map((match) => Number(match[1]));
    assert.deepEqual(portsOf(clusterVariables.redis.value), range('redis'));
    assert.deepEqual(portsOf(clusterVariables.rabbitmq.value), range('rabbitmq'));
    assert.deepEqual(portsOf(clusterVariables.kafka.value), range('kafka'));

    const env: NodeJS.ProcessEnv = { REDIS_URL: 'redis://127.0.0.1:6379' };
    pointAtClusters(env);
    assert.deepEqual(env, { REDIS_URL: clusterVariables.redis.value, RABBITMQ_URL: clusterVariables.rabbitmq.value, KAFKA_BOOTSTRAP_SERVERS: clusterVariables.kafka.value });
    const saved = { ...process.env };
    try {
      pointAtClusters();
      // Read on use: set after tools/bench/config.ts was loaded, and still seen.
      assert.equal(addresses.rabbitmq, clusterVariables.rabbitmq.value);
      assert.equal(addresses.kafka, clusterVariables.kafka.value);
      assert.equal(nodeUrls(addresses.redis).length, 6);
      assert.equal(nodeUrls(addresses.rabbitmq)[0], 'amqp://guest:guest@127.0.0.1:27021');
    } finally {
      process.env = saved;
    }
  });

  it('splits a node list only where a new URL starts, as eventwire does', () => {
    assert.deepEqual(nodeUrls('amqp://u:p,w@a:1, amqps://b:2'), ['amqp://u:p,w@a:1', 'amqps://b:2']);
    assert.deepEqual(nodeUrls('redis://a:1,rediss://b:2'), ['redis://a:1', 'rediss://b:2']);
    assert.deepEqual(nodeUrls('redis://127.0.0.1:6379'), ['redis://127.0.0.1:6379']);
  });
});
