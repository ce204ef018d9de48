import { InvalidArgumentError } from '../errors/index.js';
import type { Middleware } from './chain.js';
import { describe } from '../config/validate.js';

const shape = '(next) => async (message, ctx) => { …; await next(message, ctx); }';

/**
 * Checks the `middleware` option: a list of `(next) => handler` functions. A Koa-style
 * `(message, ctx, next)` function is refused by its arity here, before anything runs, since
 * calling it with `next` alone would fail only when the first message arrives.
 *
 * @example
 * expectMiddleware([(next) => async (m, ctx) => next(m, ctx)]);
 */
export function expectMiddleware(value: unknown): readonly Middleware[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError('middleware', `Expected \`middleware\` to be an array of functions ${shape}, got ${describe(value)}.`);
  }
  return value.map((item: unknown, index) => {
    if (typeof item !== 'function' || item.length > 1) {
      const got = typeof item === 'function' ? `a function of ${item.length} parameters` : describe(item);
      throw new InvalidArgumentError(`middleware[${index}]`, `Expected \`middleware[${index}]\` to be a function ${shape}, got ${got}.`);
    }
    return adopt(item as Middleware, index);
  });
}

/**
 * Makes a user's middleware safe to compose with the built-in links: what it returns must be a
 * handler (checked when the consumer starts, where the chain is built), and that handler's
 * synchronous throw or plain return value becomes a promise, as the links around it expect.
 */
function adopt(middleware: Middleware, index: number): Middleware {
  return (next) => {
    const handler: unknown = middleware(next);
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(
        `middleware[${index}]`,
        `Expected \`middleware[${index}]\` to return a handler (message, ctx) => Promise<void>, got ${describe(handler)}.`,
      );
    }
    const link = handler as (...args: Parameters<typeof next>) => unknown;
    return (message, ctx) => {
      try {
        return Promise.resolve(link(message, ctx) as Promise<void>);
      } catch (error) {
        return Promise.reject(error);
      }
    };
  };
}
