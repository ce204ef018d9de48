import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isCi } from '../support/ci.js';

/** Debian's interpreter, where `apt-get install python3-pika python3-redis python3-confluent-kafka` puts the clients. */
export const PYTHON = '/usr/bin/python3';
const CLIENTS = fileURLToPath(new URL('./clients/', import.meta.url));
/** Where scripts/brokers.sh keeps Kafka's jars; Kafka's own console tools run from them. */
export const KAFKA_LIB = fileURLToPath(new URL('../../.cache/kafka/lib/', import.meta.url));

/** A message as a third-party producer is asked to write it; each broker's script uses what applies. */
export interface ThirdPartyMessage {
  readonly value: Buffer;
  readonly key?: Buffer;
  /** Kafka record headers; AMQP application headers (text when valid UTF-8). */
  readonly headers?: readonly (readonly [string, string | Buffer])[];
  /**
   * AMQP headers with their own types (pika): JSON, where `{ $bytes: <base64> }` is a byte array
   * and `{ $timestamp: <seconds> }` a timestamp (clients/produce_rabbitmq.py).
   */
  readonly typedHeaders?: Readonly<Record<string, unknown>>;
  /** AMQP `content_type` property. */
  readonly contentType?: string;
  /** AMQP `message_id` property. */
  readonly messageId?: string;
  /** Redis stream entry fields beside `value` and `key`. */
  readonly fields?: readonly (readonly [string, string | Buffer])[];
}

/** Each third-party client the interop suite uses, with a command that fails when it is missing. */
export const clients = {
  'confluent-kafka': { command: PYTHON, args: ['-c', 'import confluent_kafka'], install: 'apt-get install python3-confluent-kafka' },
  pika: { command: PYTHON, args: ['-c', 'import pika'], install: 'apt-get install python3-pika' },
  'redis-py': { command: PYTHON, args: ['-c', 'import redis'], install: 'apt-get install python3-redis' },
  kcat: { command: 'kcat', args: ['-V'], install: 'apt-get install kcat' },
  'redis-cli': { command: 'redis-cli', args: ['--version'], install: 'apt-get install redis-tools' },
  'kafka-console-producer': {
    command: 'java',
    args: ['-cp', `${KAFKA_LIB}*`, 'org.apache.kafka.tools.ConsoleProducer', '--version'],
    install: 'bash scripts/brokers.sh clients (Java 17 and Kafka\'s jars in .cache/kafka/lib)',
  },
} as const;

/**
 * Mocha `before` hook body: when a client is missing the suite fails in CI and is marked
 * pending elsewhere, with the command that installs it (`bash scripts/brokers.sh clients`
 * installs them all).
 *
 * @example
 * before(async function () { await requireClients(this, ['pika']); });
 */
export async function requireClients(context: Mocha.Context, names: readonly (keyof typeof clients)[]): Promise<void> {
  for (const name of names) {
    const { command, args, install } = clients[name];
    const result = await run(command, args, '', 30_000).catch((error: unknown) => ({ code: -1, stdout: '', stderr: String(error) }));
    if (result.code === 0) continue;
    const reason = `the third-party client ${name} is missing (${result.stderr.trim().split('\n').at(-1) ?? ''}); install it with: ${install}`;
    if (isCi()) throw new Error(`${reason} (CI requires every interop client)`);
    console.warn(`      skipped: ${reason}`);
    context.skip();
  }
}

/**
 * Runs `clients/<script>` under Debian's Python with the messages on stdin (bytes as base64) and
 * returns what it reported; a non-zero exit rejects with its stderr.
 *
 * @example
 * const [{ partition }] = await producePython('produce_kafka.py', { url, topic, messages });
 */
export async function producePython<R>(script: string, spec: { url: string; topic: string; options?: object; messages: readonly ThirdPartyMessage[] }): Promise<R[]> {
  const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');
  const messages = spec.messages.map((message) => ({
    value: b64(message.value),
    key: message.key === undefined ? null : b64(message.key),
    headers: (message.headers ?? []).map(([name, value]) => [name, b64(value)]),
    fields: (message.fields ?? []).map(([name, value]) => [name, b64(value)]),
    typed_headers: message.typedHeaders ?? null,
    content_type: message.contentType ?? null,
    message_id: message.messageId ?? null,
  }));
  const input = JSON.stringify({ url: spec.url, topic: spec.topic, options: spec.options ?? {}, messages });
  const result = await run(PYTHON, [`${CLIENTS}${script}`], input, 60_000);
  if (result.code !== 0) throw new Error(`${script} exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as R[];
}

/**
 * Runs a command with `input` on stdin; resolves with its exit code and output, rejects only
 * when it cannot start or outlives `timeoutMs` (it is then killed).
 *
 * @example
 * const { code } = await run('kcat', ['-P', '-b', bootstrap, '-t', topic], '{"a":1}\n', 30_000);
 */
export function run(command: string, args: readonly string[], input: string | Buffer, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    // A command that exits without reading its input (a version check) may close the pipe
    // before the input is written: EPIPE is then no failure, the exit status tells how it went.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.on('close', (code, signal) => {
      if (signal !== null) reject(new Error(`${command} was stopped by ${signal} (timeout ${timeoutMs} ms?)`));
      else resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

/** A message as a third-party consumer read it (test/interop/clients/consume_*.py). */
export interface ThirdPartyRead {
  readonly value: Buffer;
  readonly key: Buffer | undefined;
  /** Kafka record headers, AMQP headers, or a stream entry's fields other than `value` and `key`. */
  readonly headers: ReadonlyMap<string, Buffer>;
  readonly contentType: string | undefined;
  readonly messageId: string | undefined;
}

/**
 * Runs `clients/<script>` (a consume_* script) under Debian's Python and returns what it read.
 *
 * @example
 * const [first] = await consumePython('consume_kafka.py', { url, topic, count: 1 });
 */
export async function consumePython(script: string, request: { url: string; topic: string; count: number; queue?: string }): Promise<ThirdPartyRead[]> {
  const result = await run(PYTHON, [`${CLIENTS}${script}`], JSON.stringify(request), 60_000);
  if (result.code !== 0) throw new Error(`${script} exited with ${result.code}: ${result.stderr}`);
  const raw = JSON.parse(result.stdout) as { value: string; key: string | null; headers: [string, string][]; content_type: string | null; message_id: string | null }[];
  return raw.map((message) => ({
    value: Buffer.from(message.value, 'base64'),
    key: message.key === null ? undefined : Buffer.from(message.key, 'base64'),
    headers: new Map(message.headers.map(([name, value]) => [name, Buffer.from(value, 'base64')])),
    contentType: message.content_type ?? undefined,
    messageId: message.message_id ?? undefined,
  }));
}
