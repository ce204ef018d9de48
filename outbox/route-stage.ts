import { InvalidArgumentError, NoTransactionError } from '../lib/errors/index.js';
import { keyOf } from '../lib/http/route-event.js';
import { expectBoolean, expectKnownKeys, expectObject, expectString, expectTopic } from '../lib/config/validate.js';
import type { Queryable } from './pool.js';
import type { StageOptions } from './stage.js';

/**
 * Options of `outbox.stageRouteEvent`: `eventMiddleware`'s, with the topic required (the outbox
 * has no default topic).
 *
 * @example
 * await outbox.stageRouteEvent(client, 'order.placed', order, { topic: 'orders', keyField: 'id' });
 */
export interface RouteStageOptions {
  readonly topic: string;
  /** Field of the result used as the ordering key; a dotted path such as `order.id` works. */
  readonly keyField?: string;
  /** Put the result in `data` (default true); false stages `data: {}`. */
  readonly includeResult?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/** PostgreSQL's SQLSTATE for "SAVEPOINT can only be used in transaction blocks". */
const noActiveTransaction = '25P01';

/**
 * Turns `stageRouteEvent`'s options into `stage()`'s for one result: the key read from the
 * result at `keyField`, the data the result itself or `{}`.
 *
 * @example
 * routeStage('order.placed', { id: 7 }, { topic: 'orders', keyField: 'id' }); // { data: { id: 7 }, options: { topic: 'orders', key: '7' } }
 */
export function routeStage(name: string, result: unknown, options: unknown): { data: unknown; options: StageOptions } {
  expectString('name', name);
  const given = expectObject('stageRouteEvent options', options);
  expectKnownKeys('stageRouteEvent options', given, ['topic', 'keyField', 'includeResult', 'headers']);
  if (given.topic === undefined) throw new InvalidArgumentError('topic', `Event "${name}" has no topic: pass { topic } to stageRouteEvent().`);
  expectTopic('topic', given.topic);
  const keyPath = given.keyField === undefined ? undefined : expectString('keyField', given.keyField).split('.');
  const includeResult = expectBoolean('includeResult', given.includeResult ?? true);
  const key = keyPath === undefined ? undefined : keyOf(result, keyPath);
  const stageOptions: Record<string, unknown> = { topic: given.topic };
  if (key !== undefined) stageOptions.key = key;
  if (given.headers !== undefined) stageOptions.headers = given.headers;
  return { data: includeResult && result !== undefined ? result : {}, options: stageOptions as unknown as StageOptions };
}

/**
 * Fails with {@link NoTransactionError} unless `client` is inside a transaction block, so that a
 * route's event never commits apart from the route's writes. One round trip: a savepoint, taken
 * and released at once (PostgreSQL refuses SAVEPOINT outside a transaction block).
 *
 * @example
 * await expectTransaction(client, 'order.placed');
 */
export async function expectTransaction(client: Queryable, name: string): Promise<void> {
  try {
    await client.query('SAVEPOINT eventwire_stage; RELEASE SAVEPOINT eventwire_stage');
  } catch (error) {
    if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === noActiveTransaction) {
      throw new NoTransactionError('client', name, { cause: error });
    }
    throw error;
  }
}
