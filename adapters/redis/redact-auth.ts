/** What ioredis attaches to the error of a command Redis refused: the command with its arguments. */
interface CommandError {
  command?: { name?: unknown; args?: unknown };
}

/**
 * Masks the credentials in the command an ioredis error carries, in place: `AUTH [user] password`
 * and `HELLO 3 AUTH user password` (what ioredis sends at connect time when the URL or
 * `clientOptions` hold a password). The error object reaches the logger's fields and the `cause`
 * chain of eventwire's errors, where a JSON logger would print every property; returns `error`.
 *
 * @example
 * logger.warn('Redis connection failed', { error: redactAuth(error) });
 */
export function redactAuth<E>(error: E): E {
  const command = (error as CommandError | null)?.command;
  if (typeof command !== 'object' || command === null || !Array.isArray(command.args)) return error;
  const name = String(command.name).toLowerCase();
  if (name === 'auth') command.args = command.args.map(() => '***');
  else if (name === 'hello') {
    const at = command.args.findIndex((arg) => String(arg).toUpperCase() === 'AUTH');
    if (at >= 0) command.args = command.args.map((arg, index) => (index > at ? '***' : arg));
  }
  return error;
}

/**
 * Whether Redis refused the connection's login (a wrong password or user, or none given where one
 * is needed). The first word of a Redis error reply is its code (`WRONGPASS`, `NOAUTH`); servers
 * before Redis 6 answer a wrong password with the generic `ERR` code, which only its text tells apart.
 */
export function isLoginRefused(error: { readonly message: string }): boolean {
  return /^(WRONGPASS|NOAUTH)\b/.test(error.message) || /invalid (username-password pair|password)/i.test(error.message);
}
