import type { CaseParams, CaseResult, ChildMessage } from './types.js';

/**
 * Entry of every measured process (started by spawn.ts): one case, one process, so that each
 * figure comes with its own peak RSS and no case warms up or pollutes another.
 * argv: <role> <json>; the answer goes back over the IPC channel.
 */

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    const withRss: ChildMessage = message.type === 'result' ? { ...message, result: { ...message.result, maxRssKb: process.resourceUsage().maxRSS } } : message;
    if (process.send === undefined) {
      console.log(JSON.stringify(withRss));
      resolve();
    } else process.send(withRss, undefined, {}, () => resolve());
  });

async function run(role: string, input: string): Promise<void> {
  if (role === 'http-load') {
    const { port, seconds, warmupSeconds, connections } = JSON.parse(input) as { port: number; seconds: number; warmupSeconds: number; connections: number };
    const { loadHttp } = await import('./scenarios/http-load.js');
    return send({ type: 'result', result: await loadHttp(port, seconds, warmupSeconds, connections) });
  }
  const params = JSON.parse(input) as CaseParams;
  // Before the scenario imports eventwire or the client, as an application registers its SDK.
  if (params.spec.otel === true) (await import('./otel.js')).installOtel(params.spec);
  if (role === 'http-server') return (await import('./scenarios/http-app.js')).serveHttp(params, send);
  let result: CaseResult;
  switch (params.spec.kind) {
    case 'send-awaited':
    case 'send-concurrent':
    case 'send-batch':
      result = await (await import('./scenarios/send.js')).runSend(params);
      break;
    case 'emit':
      result = await (await import('./scenarios/emit.js')).runEmit(params);
      break;
    case 'consume':
      result = await (await import('./scenarios/consume.js')).runConsume(params);
      break;
    case 'http':
      throw new Error('HTTP cases run as http-server + http-load');
  }
  await send({ type: 'result', result });
}

const [role = '', input = '{}'] = process.argv.slice(2);
run(role, input)
  .catch(async (error: unknown) => {
    console.error(error);
    await send({ type: 'result', result: { metrics: {}, error: error instanceof Error ? error.message : String(error) } });
  })
  // Client libraries may keep sockets or timers alive after close: the answer is sent, so leave.
  .finally(() => setTimeout(() => process.exit(0), 50));
