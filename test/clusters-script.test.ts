import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';

// scripts/clusters.sh behind `npm run brokers -- <action> --cluster`: the parts that need no
// cluster running. Starting the clusters takes minutes and ~1.5 GiB, so it is left to
// scripts/cluster-check.sh, outside the test suite.
const root = new URL('..', import.meta.url).pathname;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function bash(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile('bash', args, { cwd: root, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

describe('scripts/clusters.sh', () => {
  it('rejects an unknown action with its usage and exit code 2', async () => {
    const run = await bash(['scripts/clusters.sh', 'restart']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /usage: bash scripts\/clusters\.sh up\|down\|status/);
  });

  it('is what brokers.sh runs for --cluster, which it names an unknown broker to', async () => {
    const run = await bash(['scripts/brokers.sh', 'status', '--cluster', 'zookeeper']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /\[clusters\] ERROR: unknown cluster 'zookeeper'/);
  });

  it('leaves brokers.sh sourced for its helpers without running it', async () => {
    const run = await bash(['-c', 'source scripts/brokers.sh && type kafka_fetch port_open >/dev/null && echo sourced']);
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, 'sourced\n', '']);
  });

  it('reports every cluster on its own ports, 27000-27099, whether it runs or not', async function () {
    this.timeout(120_000);
    const run = await bash(['scripts/clusters.sh', 'status'], 110_000);
    const lines = run.stdout.trim().split('\n');
    const states = lines.map((line) => /^(\S+)\s+(up|down)\s+\d\/(\d) nodes/.exec(line)?.slice(1));
    assert.deepEqual(
      states.map((state) => [state?.[0], state?.[2]]),
      [['redis', '6'], ['rabbitmq', '3'], ['kafka', '3'], ['sentinel', '6']],
    );
    assert.equal(run.code, states.every((state) => state?.[1] === 'up') ? 0 : 1);
    const ports = [...run.stdout.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
    // Sentinel's line names its three Sentinels, not its data nodes.
    assert.equal(new Set(ports).size, 6 + 3 + 3 + 3);
    for (const port of ports) assert.ok(port >= 27_000 && port <= 27_099, `port ${port} outside 27000-27099`);
  });
});
