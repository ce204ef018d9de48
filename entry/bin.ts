#!/usr/bin/env node
import { registerBundledBrokers } from '../adapters/registry.js';
import { main } from '../lib/cli/main.js';
import { flushTelemetry } from '../lib/telemetry/flush-telemetry.js';
import { runOutboxCommand } from '../outbox/cli.js';
import { checkRelayBeside, startRelayBeside } from '../outbox/relay-beside.js';

// The `eventwire` command. An unsupported Node.js is named before anything fails on an API it
// lacks (Promise.withResolvers, on Node 20).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13) || major === 23) {
  process.stderr.write(`eventwire: needs Node.js 22.13 or later (24 recommended); this is ${process.version}.\n`);
  process.exit(2);
}

// Registered first: the modules it imports may name a broker only through MESSAGING_BROKER,
// without importing 'eventwire' themselves.
registerBundledBrokers();

/** How long the CLI waits, at the end, for a registered OpenTelemetry SDK to export. */
const telemetryFlushMs = 5_000;

// The CLI owns its process: once main() has decided, the process ends even if a handler is
// still stuck after the grace period or a module left a handle open (a database pool), so
// that SIGTERM always ends it. Pending output is flushed first.
const code = await main(process.argv.slice(2), {}, { outbox: runOutboxCommand }, { startOutboxRelay: startRelayBeside, checkOutboxRelay: checkRelayBeside });
process.exitCode = code;
// An OpenTelemetry SDK's batch processor exports on a timer: without this, the spans and metrics
// of the last messages handled before a stop signal would end with the process.
if (!(await flushTelemetry(telemetryFlushMs))) {
  process.stderr.write(`eventwire: warning: the OpenTelemetry SDK did not finish exporting within ${telemetryFlushMs} ms; what it held is lost\n`);
}
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
