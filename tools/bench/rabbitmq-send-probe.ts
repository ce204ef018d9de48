import { randomUUID } from 'node:crypto';
import { rerunUnderBuild } from './build.js';
import { eventwireExchange, payload } from './config.js';
import { connectRabbit, rabbitBindTopic, rabbitCleanup, rabbitSend } from './raw/rabbitmq.js';

/**
 * RabbitMQ awaited sends, eventwire against raw amqplib, in one process: many short rounds, the
 * two sides interleaved (and their order swapped every round), so that load from elsewhere on
 * the machine hits both alike. Two set-ups: `cheap` (no queue bound to the topic: the broker
 * returns the message and confirms at once, so the figure is mostly client-side cost) and
 * `bound` (a durable queue bound: persistent messages are written to disk).
 *
 *   npx tsx tools/bench/rabbitmq-send-probe.ts [--rounds 40] [--sends 200] [--setup cheap|bound|both] [--via send|publishEvent] [--raw-properties] [--adapter]
 *   npx tsx tools/bench/rabbitmq-send-probe.ts --profile eventwire|adapter|raw|raw-properties [--sends 20000]   (one side only, for --cpu-prof)
 *
 * Every side publishes `mandatory`, as eventwire does: in `cheap`, RabbitMQ returns each message.
 *
 * eventwire is imported from its tsc build (as the bench does, see build.ts), unless `--source`.
 */

type Side = 'raw' | 'raw-properties' | 'eventwire' | 'adapter';

interface ProbeOptions {
  readonly rounds: number;
  readonly sends: number;
  readonly setups: readonly ('cheap' | 'bound')[];
  readonly via: 'send' | 'publishEvent';
  readonly profile: Side | undefined;
  /** Adds a raw side that sends the properties eventwire sends (content type, a UUID message id). */
  readonly rawProperties: boolean;
  /** Adds a side that calls eventwire's RabbitMQ adapter directly, without the core: splits their costs. */
  readonly adapter: boolean;
}

type SendOnce = () => Promise<unknown>;

function parseArgs(argv: readonly string[]): ProbeOptions {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const setup = value('setup') ?? 'both';
  const profile = value('profile');
  return {
    rounds: Number(value('rounds') ?? 40),
    sends: Number(value('sends') ?? (profile === undefined ? 200 : 20_000)),
    setups: setup === 'both' ? ['cheap', 'bound'] : [setup === 'bound' ? 'bound' : 'cheap'],
    via: value('via') === 'publishEvent' ? 'publishEvent' : 'send',
    profile: profile === 'eventwire' || profile === 'raw' || profile === 'raw-properties' || profile === 'adapter' ? profile : undefined,
    rawProperties: argv.includes('--raw-properties'),
    adapter: argv.includes('--adapter') || profile === 'adapter',
  };
}

/** Wall-clock and CPU (user + system) milliseconds of `count` awaited sends. */
async function timed(send: SendOnce, count: number): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < count; done += 1) await send();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Runs the sides in turn, `rounds` times (their order rotated every round); prints each side against eventwire. */
async function interleave(label: string, sides: Partial<Record<Side, SendOnce>>, options: ProbeOptions): Promise<void> {
  const names = Object.keys(sides) as Side[];
  const perSend: Record<string, { wall: number[]; cpu: number[] }> = Object.fromEntries(names.map((name) => [name, { wall: [], cpu: [] }]));
  const ratios: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) await timed(sides[name] as SendOnce, 500);
  for (let round = 0; round < options.rounds; round += 1) {
    const order = names.map((_, index) => names[(index + round) % names.length] as Side);
    const wall: Partial<Record<Side, number>> = {};
    for (const name of round % 2 === 0 ? order : order.toReversed()) {
      const took = await timed(sides[name] as SendOnce, options.sends);
      wall[name] = took.ms;
      perSend[name]?.wall.push((took.ms * 1000) / options.sends);
      perSend[name]?.cpu.push((took.cpuMs * 1000) / options.sends);
    }
    for (const name of names) ratios[name]?.push((wall[name] ?? NaN) / (wall.eventwire ?? NaN));
  }
  const sorted = (list: readonly number[] | undefined): number[] => (list ?? []).toSorted((a, b) => a - b);
  console.log(`${label}: ${options.rounds} rounds × ${options.sends} awaited sends per side; node ${process.version}`);
  for (const name of names) {
    const { wall, cpu } = perSend[name] ?? { wall: [], cpu: [] };
    const ratio = sorted(ratios[name]);
    const spread = name === 'eventwire' ? '' : `  eventwire/${name} median ${quantile(ratio, 0.5).toFixed(3)} (p25 ${quantile(ratio, 0.25).toFixed(3)}, p75 ${quantile(ratio, 0.75).toFixed(3)})`;
    console.log(`  ${name.padEnd(15)} µs/send ${quantile(sorted(wall), 0.5).toFixed(1).padStart(7)}, CPU µs/send ${quantile(sorted(cpu), 0.5).toFixed(1).padStart(6)}${spread}`);
  }
}

async function probe(options: ProbeOptions): Promise<void> {
  const { createMessaging } = await import('eventwire');
  const run = `ewb-probe-${process.pid}`;
  const model = await connectRabbit();
  const channel = await model.createConfirmChannel();
  await channel.assertExchange(eventwireExchange, 'topic', { durable: true });
  const messaging = createMessaging({ broker: 'rabbitmq', url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', source: 'eventwire-probe' });
  const producer = messaging.getProducer();
  const queues: string[] = [];
  const adapters: { close(): Promise<void> }[] = [];
  try {
    for (const setup of options.setups) {
      const topic = `${run}-${setup}`;
      if (setup === 'bound') {
        queues.push(topic);
        await rabbitBindTopic(model, topic, topic);
      }
      const encode = (): Buffer => Buffer.from(JSON.stringify(payload));
      const sides: Partial<Record<Side, SendOnce>> = {
        raw: () => rabbitSend(channel, eventwireExchange, topic, encode()),
        eventwire: options.via === 'send' ? () => producer.send(topic, payload) : () => messaging.publishEvent('user.created', payload, { topic }),
      };
      // amqplib sends a headers table either way; eventwire adds its content type and a message id.
      if (options.rawProperties || options.profile === 'raw-properties') sides['raw-properties'] = () => rabbitSend(channel, eventwireExchange, topic, encode(), { persistent: true, mandatory: true, contentType: 'application/json', messageId: randomUUID() });
      if (options.adapter) {
        const { createRabbitMqBroker } = await import('eventwire/rabbitmq');
        const broker = createRabbitMqBroker({ url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672' });
        adapters.push(broker);
        const noHeaders = Object.freeze({});
        sides.adapter = () => broker.publish(topic, [{ headers: noHeaders, value: encode() }], undefined);
      }
      const only = options.profile === undefined ? undefined : sides[options.profile];
      if (only !== undefined) {
        await timed(only, 500);
        const { ms, cpuMs } = await timed(only, options.sends);
        const each = (total: number): string => ((total * 1000) / options.sends).toFixed(1);
        console.log(`${options.profile} ${setup}: ${options.sends} sends in ${ms.toFixed(0)} ms (${each(ms)} µs each, CPU ${each(cpuMs)} µs each)`);
      } else await interleave(`${setup} (${options.via})`, sides, options);
    }
  } finally {
    await messaging.close();
    for (const broker of adapters) await broker.close();
    await model.close();
    await rabbitCleanup(queues, []);
  }
}

const argv = process.argv.slice(2);
if (!rerunUnderBuild(import.meta.url, argv)) {
  await probe(parseArgs(argv));
}
