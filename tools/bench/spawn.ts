import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseParams, CaseResult, ChildMessage } from './types.js';

/** Starts tools/bench/child.ts under tsx, one process per measurement. */

const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  /** The child's answer; a crash or a time-out becomes a result with `error`. */
  readonly result: Promise<CaseResult>;
  /** The port an HTTP server child listens on. */
  readonly listening: Promise<number>;
}

function start(role: string, input: string, timeoutSeconds: number): Child {
  // kafkajs warns about its v2 partitioner change in every process that makes a producer.
  const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const child = fork(childPath, [role, input], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  let answered: CaseResult | undefined;
  let onListening: (port: number) => void = () => {};
  let failListening: (error: Error) => void = () => {};
  const listening = new Promise<number>((resolve, reject) => ((onListening = resolve), (failListening = reject)));
  listening.catch(() => {});
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'listening') onListening(message.port);
    else answered = message.result;
  });
  const result = new Promise<CaseResult>((resolve) => {
    const timer = setTimeout(() => {
      answered ??= { metrics: {}, error: `timed out after ${timeoutSeconds} s` };
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const failure = { metrics: {}, error: `the process ended (${signal ?? `exit code ${code ?? '?'}`}) without a result` };
      failListening(new Error(failure.error));
      resolve(answered ?? failure);
    });
  });
  return { process: child, result, listening };
}

/** Runs one non-HTTP case in its own process. */
export const runCase = (params: CaseParams): Promise<CaseResult> => start('case', JSON.stringify(params), params.sizes.caseTimeoutSeconds).result;

/**
 * Runs an HTTP case: the server in one process, autocannon in another; the figures are the load
 * generator's, the peak RSS and the event count the server's.
 */
export async function runHttpCase(params: CaseParams): Promise<CaseResult> {
  const { sizes } = params;
  const limit = sizes.httpSeconds + sizes.caseTimeoutSeconds;
  const server = start('http-server', JSON.stringify(params), limit);
  let port: number;
  try {
    port = await server.listening;
  } catch {
    return server.result;
  }
  const load = await start('http-load', JSON.stringify({ port, seconds: sizes.httpSeconds, warmupSeconds: sizes.httpWarmupSeconds, connections: sizes.httpConnections }), limit).result;
  server.process.send('stop');
  const served = await server.result;
  const notes = [served.note, load.note].filter((note) => note !== undefined);
  const error = load.error ?? served.error;
  const { requests } = load;
  const { cpuMicros } = served;
  const metrics = { ...load.metrics, ...(requests !== undefined && requests > 0 && cpuMicros !== undefined ? { cpu: cpuMicros / requests } : {}) };
  return {
    metrics,
    ...(served.maxRssKb === undefined ? {} : { maxRssKb: served.maxRssKb }),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    ...(error === undefined ? {} : { error }),
  };
}
