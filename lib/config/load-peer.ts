import { createRequire } from 'node:module';
import { MissingDependencyError } from '../errors/index.js';

/**
 * Imports an optional peer dependency, turning "not installed" into a
 * {@link MissingDependencyError} that names the package to install.
 *
 * @example
 * const { Kafka } = await loadPeer<typeof import('kafkajs')>('kafkajs', 'Kafka adapter');
 */
export async function loadPeer<T>(packageName: string, purpose: string): Promise<T> {
  try {
    return (await import(packageName)) as T;
  } catch (error) {
    if (isAbsent(packageName)) throw new MissingDependencyError(packageName, purpose);
    // The package is there but failed while loading: that failure is the one to see.
    throw error;
  }
}

/**
 * Loads an optional peer dependency synchronously (a CommonJS package, or one `require` can load),
 * for entry points that must return at once; "not installed" becomes a
 * {@link MissingDependencyError} naming the package.
 *
 * @example
 * const client = requirePeer<typeof import('prom-client')>('prom-client', 'Prometheus metrics');
 */
export function requirePeer<T>(packageName: string, purpose: string): T {
  try {
    return createRequire(import.meta.url)(packageName) as T;
  } catch (error) {
    if (isAbsent(packageName)) throw new MissingDependencyError(packageName, purpose);
    throw error;
  }
}

/**
 * Fails at once, with a {@link MissingDependencyError} naming the package, when an optional peer
 * is not installed; so that configuring a broker whose client is missing is refused up front
 * instead of at the first publish (where fire-and-forget would only log it).
 *
 * @example
 * expectPeer('amqplib', 'RabbitMQ adapter');
 */
export function expectPeer(packageName: string, purpose: string): void {
  if (isAbsent(packageName)) throw new MissingDependencyError(packageName, purpose);
}

function isAbsent(packageName: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${packageName}/package.json`);
    return false;
  } catch (error) {
    // A package whose `exports` hides package.json still exists; only MODULE_NOT_FOUND means absent.
    return (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
  }
}
