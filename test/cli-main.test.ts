import assert from 'node:assert/strict';
import { main } from '../lib/cli/main.js';
import { MissingDependencyError } from '../lib/errors/index.js';

// main() in this process, with a command that fails the way a missing optional package makes
// the outbox and broker commands fail; the child-process tests (cli.test.ts) cover the rest.

describe('eventwire CLI: errors that are not bugs', function () {
  it('reports a missing optional package in one line naming it, exit 1, no stack', async function () {
    let stderr = '';
    const io = { stderr: { write: (text: string) => void (stderr += text) } };
    const failing = async (): Promise<never> => {
      throw new MissingDependencyError('pg', 'outbox command');
    };
    const code = await main(['outbox', 'migrate'], io, { outbox: failing });
    assert.equal(code, 1);
    assert.equal(stderr, 'eventwire: The outbox command needs the package "pg". Install it with: npm install pg\n');
  });

  it('still reports any other error as unexpected, with its stack', async function () {
    let stderr = '';
    const io = { stderr: { write: (text: string) => void (stderr += text) } };
    const code = await main(['broken'], io, { broken: () => Promise.reject(new TypeError('boom')) });
    assert.equal(code, 1);
    assert.match(stderr, /^eventwire: unexpected error, please report it: TypeError: boom\n\s+at /);
  });
});
