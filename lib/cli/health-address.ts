import { isIP } from 'node:net';
import { CliExit, exitCodes } from './exit.js';

/**
 * Where `--health-port` serves: the port, and the address to listen on. Without `host` the server
 * listens on every interface (Node's default: `::` with IPv4 mapped, else `0.0.0.0`), which a
 * Kubernetes probe needs, since the kubelet connects to the pod's IP.
 */
export interface HealthAddress {
  readonly port: number;
  readonly host?: string | undefined;
}

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123), at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;

/**
 * The `--health-port` and `--health-host` flags, checked before any module is imported: a bad
 * value throws a usage {@link CliExit} naming its flag. `undefined` without `--health-port`.
 *
 * @example
 * healthAddress('8081', '127.0.0.1'); // { port: 8081, host: '127.0.0.1' }
 */
export function healthAddress(port: string | undefined, host: string | undefined): HealthAddress | undefined {
  if (port === undefined) {
    if (host !== undefined) throw new CliExit(exitCodes.usage, '--health-host needs --health-port: give the port to serve the health probes on as well.');
    return undefined;
  }
  return host === undefined ? { port: healthPort(port) } : { port: healthPort(port), host: healthHost(host) };
}

function healthPort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new CliExit(exitCodes.usage, `--health-port must be a port number from 1 to 65535 such as 8081, got ${JSON.stringify(value)}.`);
  }
  return port;
}

function healthHost(value: string): string {
  if (isIP(value) !== 0) return value;
  // Digits and dots only are an IPv4 address or nothing: 256.1.1.1 is no host name.
  if (HOST_NAME.test(value) && !/^[\d.]+$/.test(value)) return value;
  const hint = /^\[.*\]$/.test(value) ? ' (write an IPv6 address without brackets)' : '';
  throw new CliExit(
    exitCodes.usage,
    `--health-host must be an IP address of this machine such as 127.0.0.1, 0.0.0.0 or ::, or a host name, got ${JSON.stringify(value)}${hint}.`,
  );
}
