import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brokerNames, createMessaging } from '../../entry/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const addresses = { kafka: { bootstrapServers: 'localhost:9092' }, rabbitmq: { url: 'amqp://localhost' }, redis: { url: 'redis://localhost' }, memory: {} };

describe('broker registry', () => {
  it('resolves every broker name through the package entry, without connecting', async () => {
    for (const broker of brokerNames) {
      const messaging = createMessaging({ broker, ...addresses[broker] });
      assert.equal(messaging.brokerName, broker);
      await messaging.close();
    }
  });

  it('refuses a broker name when lib/ is loaded without the entry, which registers the adapters', async () => {
    // A fresh process: in this one the entry has already registered them.
    const script = "import('./lib/messaging.ts').then((m) => m.createMessaging({ broker: 'memory' })).catch((e) => console.log(e.code, e.argument))";
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
    assert.equal(stdout.trim(), 'EVENTWIRE_INVALID_ARGUMENT broker');
  });
});
