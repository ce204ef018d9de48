#!/usr/bin/env node
import { registerBundledBrokers } from '../adapters/registry.js';
import { main } from '../lib/cli/main.js';

// The `eventwire` command. Registered first: the modules it imports may name a broker only
// through MESSAGING_BROKER, without importing 'eventwire' themselves.
registerBundledBrokers();

// The CLI owns its process: once main() has decided, the process ends even if a handler is
// still stuck after the grace period or a module left a handle open (a database pool), so
// that SIGTERM always ends it. Pending output is flushed first.
const code = await main(process.argv.slice(2));
process.exitCode = code;
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
