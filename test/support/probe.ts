import { connect } from 'node:net';

/**
 * Whether a broker port answers, and where the fault runner's brokers are.
 *
 * {@link host} is the one address every broker the fault runner uses or starts listens on, and
 * {@link reachable} asks whether something accepts TCP connections there. Shared by the fault
 * runner (is an instance up or down?) and the test suites' broker check.
 */

/** The address of every broker the fault runner uses or starts: loopback only. */
export const host = '127.0.0.1';

/**
 * Whether something accepts TCP connections on `address`:`port` within `timeoutMs`. Never
 * rejects.
 *
 * @example
 * if (!(await reachable(6379))) console.warn('start Redis first');
 */
export function reachable(port: number, address = host, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
