import { MissingDependencyError } from './errors.js';

/**
 * Imports an optional peer dependency, turning "not installed" into a
 * {@link MissingDependencyError} that names the package to install.
 *
 * @example
 * const { Kafka } = await loadPeer<typeof import('kafkajs')>('kafkajs', 'Kafka adapter');
 */
export async function loadPeer<T>(packageName: string, purpose: string): Promise<T> {
  // Resolving first separates "the package is absent" from "the package failed while loading",
  // which must surface as itself.
  try {
    import.meta.resolve(packageName);
  } catch {
    throw new MissingDependencyError(packageName, purpose);
  }
  return (await import(packageName)) as T;
}
