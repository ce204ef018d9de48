import type { Consumer } from '../consuming/consumer.js';
import { EventwireError, InvalidArgumentError } from '../errors/index.js';
import type { Messaging } from '../messaging.js';
import type { RunningConsumers } from '../consuming/run-consumers.js';
import { drain, type DrainResult } from './drain.js';
import { configuredMessaging } from './configured-messaging.js';
import { CliExit, exitCodes, type ExitCode } from './exit.js';
import type { HealthAddress } from './health-address.js';
import { startHealthServer } from './health-server.js';
import { importModules } from './import-modules.js';
import { describeError, say, sentence, type CliIo } from './io.js';
import { watchSignals, type WatchedSignals } from './signals.js';
import { startWarnings } from './warnings.js';
import type { BesideTask, CliExtensions, OutboxRelayBeside } from './beside.js';

/**
 * A parsed `eventwire consumer` invocation.
 *
 * @example
 * const command: ConsumerCommand = { modules: ['./dist/consumers.js'], topics: [], graceMs: 30_000 };
 */
export interface ConsumerCommand {
  readonly modules: readonly string[];
  /** Empty: every registered consumer. */
  readonly topics: readonly string[];
  readonly graceMs: number;
  /** Serve `/healthz`, `/readyz` and `/metrics` there while running; `undefined`: no server. */
  readonly health?: HealthAddress | undefined;
  /** Run the outbox relay beside the consumers (`--outbox-relay`); `undefined`: no relay. */
  readonly outboxRelay?: OutboxRelayBeside | undefined;
}

/**
 * Runs `eventwire consumer`: imports the modules, starts what they registered on the default
 * instance, and stops on the first SIGTERM/SIGINT, draining in-flight handlers for up to
 * `graceMs`. With `health`, serves the health probes from before the consumers start until
 * the command ends (draining: live, not ready). Resolves with the exit code; expected failures
 * throw {@link CliExit}.
 *
 * @example
 * const code = await runConsumerCommand({ modules: ['./consumers.js'], topics: [], graceMs: 30_000 }, defaultIo());
 */
export async function runConsumerCommand(command: ConsumerCommand, io: CliIo, extensions: CliExtensions = {}): Promise<ExitCode> {
  const { startOutboxRelay } = extensions;
  if (command.outboxRelay !== undefined && startOutboxRelay === undefined) {
    throw new CliExit(exitCodes.usage, '--outbox-relay needs eventwire/outbox: run the eventwire command of the installed package (npx eventwire).');
  }
  if (command.outboxRelay !== undefined) await extensions.checkOutboxRelay?.(command.outboxRelay);
  await importModules(command.modules, io.cwd);
  const messaging = configuredMessaging();
  const health = command.health === undefined ? undefined : await startHealthServer(messaging, command.health);
  if (health !== undefined) say(io, health.banner);
  const signals = watchSignals(io.signals);
  // Not ready from the first stop signal on: messaging.close() comes only once the consumers drained.
  if (health !== undefined) void signals.first.then(health.stopping);
  try {
    const relay = command.outboxRelay;
    const beside = relay === undefined || startOutboxRelay === undefined ? undefined : (m: Messaging) => startOutboxRelay(m, io, relay);
    return await supervise(messaging, command, io, signals, beside);
  } finally {
    signals.dispose();
    await health?.close();
  }
}

async function supervise(messaging: Messaging, command: ConsumerCommand, io: CliIo, signals: WatchedSignals, startBeside?: (messaging: Messaging) => Promise<BesideTask>): Promise<ExitCode> {
  const starting = messaging.runConsumers(command.topics.length === 0 ? {} : { topics: command.topics });
  const started = await Promise.race([
    starting.then((running) => ({ running }), (error: unknown) => ({ error })),
    signals.first.then((signal) => ({ signal })),
  ]);
  const deadline = (): number => Date.now() + command.graceMs;
  if ('error' in started) {
    // Nothing runs, but a connection may be open: release it, within the grace period.
    await drain(messaging.close({ timeoutMs: command.graceMs }), command.graceMs, signals.first);
    throw startFailure(started.error, command);
  }
  if ('signal' in started) {
    say(io, `received ${started.signal} while starting; stopping once started (send it again to exit at once)`);
    const end = deadline();
    const work = starting.then((running) => running.stop(), () => {}).then(() => closeBy(messaging, end));
    return report(io, await drain(work, command.graceMs, signals.second), command, undefined);
  }

  const { running } = started;
  for (const consumer of running.consumers) {
    say(io, `consuming ${topicsOf(consumer, command.topics).join(', ')} as group ${consumer.groupId}`);
  }
  // Once the consumers are subscribed, so that a relayed event is never published before its group exists.
  const beside = startBeside === undefined ? undefined : await startBeside(messaging).catch(async (error: unknown) => {
    await drain(running.stop().then(() => closeBy(messaging, deadline())), command.graceMs, signals.first);
    throw error;
  });
  const stopAll = (): Promise<void> => Promise.all([beside?.stop(command.graceMs), running.stop()]).then(() => {});
  for (const warning of startWarnings(messaging.brokerName, io.execArgv)) say(io, warning);
  let failure: { consumer: Consumer; error: unknown } | undefined;
  const failed = new Promise<'failed'>((resolve) => {
    for (const consumer of running.consumers) {
      consumer.closed.catch((error: unknown) => {
        failure ??= { consumer, error };
        resolve('failed');
      });
    }
  });
  const next = await Promise.race([
    running.closed.then(() => 'ended' as const, () => 'failed' as const),
    failed,
    signals.first.then((signal) => ({ signal })),
  ]);

  if (typeof next === 'object') {
    say(io, `received ${next.signal}; stopping: in-flight messages have ${command.graceMs} ms to finish (send it again to exit at once)`);
    const end = deadline();
    const result = await drain(stopAll().then(() => closeBy(messaging, end)), command.graceMs, signals.second);
    if (result.kind === 'done' && failure !== undefined) return reportFailure(io, failure);
    return report(io, result, command, running);
  }
  // Not asked to stop, yet a subscription ended: stop the rest and exit for a restart.
  if (next === 'failed' && failure !== undefined) reportFailure(io, failure);
  else say(io, 'every consumer stopped although no signal was received (the broker closed the subscriptions); exiting so that the process can be restarted');
  const end = deadline();
  const closing = (beside === undefined ? Promise.resolve() : beside.stop(command.graceMs)).then(() => closeBy(messaging, end));
  report(io, await drain(closing, command.graceMs, signals.first), command, running, true);
  return exitCodes.failure;
}

function closeBy(messaging: Messaging, end: number): Promise<void> {
  return messaging.close({ timeoutMs: Math.max(0, end - Date.now()) });
}

function topicsOf(consumer: Consumer, wanted: readonly string[]): readonly string[] {
  return wanted.length === 0 ? consumer.topics : consumer.topics.filter((topic) => wanted.includes(topic));
}

function startFailure(error: unknown, command: ConsumerCommand): CliExit {
  if (error instanceof InvalidArgumentError && error.argument === 'consumers') {
    return new CliExit(
      exitCodes.usage,
      `no consumers to run: ${command.modules.join(', ')} registered none (or only ones with autoStart: false). Register ` +
        'handlers in them with messageHandler() or createConsumer(), imported from the same "eventwire" package as this CLI.',
    );
  }
  if (error instanceof InvalidArgumentError && /^topics(\[|$)/.test(error.argument)) {
    return new CliExit(exitCodes.usage, `--topic: ${error.message}`);
  }
  if (error instanceof InvalidArgumentError) return new CliExit(exitCodes.usage, error.message);
  if (error instanceof EventwireError) return new CliExit(exitCodes.failure, `could not start the consumers: ${error.message}`);
  return new CliExit(
    exitCodes.failure,
    `could not start the consumers: ${sentence(describeError(error))} Check that the broker is running and reachable at the configured address.`,
  );
}

function reportFailure(io: CliIo, failure: { consumer: Consumer; error: unknown }): ExitCode {
  const { consumer, error } = failure;
  const what = error instanceof EventwireError ? error.message : describeError(error);
  say(io, `the consumer of group ${consumer.groupId} (${consumer.topics.join(', ')}) failed: ${sentence(what)} Stopping; check the broker, then start again.`);
  return exitCodes.failure;
}

/** Reports how a drain ended; `quiet` reports only what went wrong (the caller already explained). */
function report(io: CliIo, result: DrainResult, command: ConsumerCommand, running: RunningConsumers | undefined, quiet = false): ExitCode {
  switch (result.kind) {
    case 'done':
      if (!quiet) say(io, 'stopped');
      return exitCodes.ok;
    case 'failed':
      say(io, `stopping failed: ${result.error instanceof EventwireError ? result.error.message : describeError(result.error)}`);
      return exitCodes.failure;
    case 'timeout':
      say(io, `the grace period of ${command.graceMs} ms passed with ${stillBusy(running)}; exiting without waiting. Unacknowledged messages will be delivered again; raise --grace-ms if handlers need longer.`);
      return exitCodes.failure;
    case 'signal':
      say(io, `received ${result.signal} again; exiting without waiting for ${stillBusy(running)}. Unacknowledged messages will be delivered again.`);
      return exitCodes.failure;
  }
}

/** What a drain cut short was still waiting for: handlers only when some are running. */
function stillBusy(running: RunningConsumers | undefined): string {
  if (running === undefined) return 'the consumers still starting';
  const busy = running.consumers.filter((consumer) => consumer.inFlight > 0);
  if (busy.length === 0) return 'the consumers still disconnecting (no message was being handled)';
  const groups = busy.map((consumer) => consumer.groupId).join(', ');
  return busy.length === 1 ? `1 consumer still handling messages (group ${groups})` : `${busy.length} consumers still handling messages (groups ${groups})`;
}
