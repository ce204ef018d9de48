import { EventwireError } from './base.js';

/**
 * A wait in a test ran out.
 *
 * @example
 * await recorder.waitForEvent('user.created', { timeoutMs: 100 }).catch((e) => e instanceof WaitTimeoutError);
 */
export class WaitTimeoutError extends EventwireError {
  readonly code = 'EVENTWIRE_WAIT_TIMEOUT';
}
