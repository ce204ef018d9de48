import { strict as assert } from 'node:assert';
import { InvalidArgumentError } from '../../lib/errors/index.js';

/**
 * An `assert.throws` check: the error is an `InvalidArgumentError` (code
 * `EVENTWIRE_INVALID_ARGUMENT`) for `argument`, with exactly `message` (or one that `message` matches).
 *
 * @example
 * assert.throws(() => createRedisBroker({ url, blockMs: 0 }), invalidOption('blockMs', 'Expected `blockMs` to be an integer of at least 1, got 0.'));
 */
export function invalidOption(argument: string, message: string | RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof InvalidArgumentError, `expected an InvalidArgumentError, got ${String(error)}`);
    assert.equal(error.code, 'EVENTWIRE_INVALID_ARGUMENT');
    assert.equal(error.argument, argument);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}
