import { connect } from 'node:net';

/**
 * Whether something accepts TCP connections on `host`:`port` within `timeoutMs`. Never rejects.
 * Shared by the fault runner (is an instance up or down?) and the test suites' broker check.
 *
 * @example
 * if (!(await reachable(6379))) console.warn('start Redis first');
 */
export function reachable(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
