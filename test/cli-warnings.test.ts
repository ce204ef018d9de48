import assert from 'node:assert/strict';
import { startWarnings } from '../lib/cli/warnings.js';

describe('eventwire CLI: start-up warnings', function () {
  it('warns that the memory broker cannot be reached from other processes', function () {
    const [warning] = startWarnings('memory', []);
    assert.match(warning ?? '', /memory broker lives inside this process.*Set MESSAGING_BROKER to kafka, rabbitmq or redis/);
    assert.deepEqual(startWarnings('redis', []), []);
  });

  it('warns when started by the tsx command, whose relay of Ctrl-C can kill a busy worker', function () {
    // What the tsx command gives the process it starts (tsx 4).
    const tsxCommand = ['--require', '/app/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///app/node_modules/tsx/dist/loader.mjs'];
    assert.match(startWarnings('kafka', tsxCommand).join('\n'), /started by the tsx command.*node --import tsx/);
    assert.deepEqual(startWarnings('kafka', ['--import', 'tsx']), []);
  });
});
