import { describe } from '../config/validate.js';
import { InvalidArgumentError, ValidationError } from '../errors/index.js';

/**
 * The Standard Schema interface (standardschema.dev), which zod 3.24+, zod 4, valibot and
 * arktype implement. Declared here so the core needs no schema library.
 *
 * @example
 * const schema: StandardSchema<unknown, { id: number }> = z.object({ id: z.number() });
 */
export interface StandardSchema<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[] };

/** The type a schema produces. */
export type SchemaOutput<S> = S extends StandardSchema<unknown, infer O> ? O : never;

/**
 * Whether a value implements {@link StandardSchema}.
 *
 * @example
 * isStandardSchema(z.string()); // true
 */
export function isStandardSchema(value: unknown): value is StandardSchema {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const standard = (value as { '~standard'?: { validate?: unknown } })['~standard'];
  return typeof standard?.validate === 'function';
}

/**
 * Throws `InvalidArgumentError` naming `name` unless `value` implements {@link StandardSchema};
 * `what` says where the caller wrote it.
 *
 * @example
 * expectSchema('schema', options.schema, '`schema`');
 */
export function expectSchema(name: string, value: unknown, what: string): asserts value is StandardSchema {
  if (!isStandardSchema(value)) {
    throw new InvalidArgumentError(name, `Expected ${what} to be a zod schema (or any Standard Schema, such as valibot or arktype), got ${describe(value)}.`);
  }
}

/**
 * Validates, returning the parsed value or throwing {@link ValidationError}, whose message ends
 * with `hint()` when that gives one (asked only on a failure).
 *
 * @example
 * const order = await parseWithSchema(OrderCreated, payload, 'orders.created');
 */
export async function parseWithSchema<S extends StandardSchema>(schema: S, value: unknown, topic: string, hint: () => string | undefined = () => undefined): Promise<SchemaOutput<S>> {
  const result = await schema['~standard'].validate(value);
  if (result.issues !== undefined) throw new ValidationError(topic, result.issues, hint());
  return result.value as SchemaOutput<S>;
}
