import { createMemoryServer } from 'eventwire/memory';
import type { Drainable, Sender } from './drivers.js';
import type { CaseParams } from './types.js';

/**
 * The driver of the case's implementation. Imported on demand, so that a child process loads
 * only its own implementation's libraries and its peak RSS is its own.
 */
export async function senderFor(params: CaseParams): Promise<Sender> {
  switch (params.spec.impl) {
    case 'eventwire':
      return (await import('./eventwire.js')).eventwireSender(params, createMemoryServer());
    case 'raw':
      return (await import('./raw/index.js')).rawSender(params, createMemoryServer());
    case 'nest':
      return (await import('./peers/nest.js')).nestSender(params);
    case 'moleculer':
      return (await import('./peers/moleculer.js')).moleculerSender(params);
  }
}

export async function drainableFor(params: CaseParams): Promise<Drainable> {
  switch (params.spec.impl) {
    case 'eventwire':
      return (await import('./eventwire.js')).eventwireDrainable(params, createMemoryServer());
    case 'raw':
      return (await import('./raw/index.js')).rawDrainable(params, createMemoryServer());
    case 'nest':
      return (await import('./peers/nest.js')).nestDrainable(params);
    case 'moleculer':
      return (await import('./peers/moleculer.js')).moleculerDrainable(params);
  }
}
