/**
 * Removes credentials from a broker address before it reaches a log line or an error message.
 * Handles URLs (`amqp://user:pass@host`) and Kafka host lists alike. Input that does not parse
 * (a typo) keeps everything but its password, so that the reader can still see the typo.
 *
 * @example
 * redactUrl('amqp://guest:secret@rabbit:5672/'); // 'amqp://guest:***@rabbit:5672/'
 * redactUrl('redis//app:secret@cache:6379');      // 'redis//app:***@cache:6379'
 */
export function redactUrl(address: string): string {
  if (!address.includes('://') || !URL.canParse(address)) return maskUserInfo(address);
  const url = new URL(address);
  if (url.password !== '') url.password = '***';
  for (const name of [...url.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}

/**
 * Masks the password of an address that is not a valid URL: what follows the first ":" of the
 * part before the last "@", or that whole part when it has no ":" (it may be a bare password).
 */
function maskUserInfo(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const scheme = /^[^@]*?:\/\//.exec(address)?.[0] ?? '';
  if (scheme.length > at) return address;
  const userInfo = address.slice(scheme.length, at);
  const colon = userInfo.indexOf(':');
  const masked = colon < 0 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${scheme}${masked}${address.slice(at)}`;
}

/**
 * Masks any `scheme://user:password@` credentials inside free text, such as a client's error
 * message, before it is logged or wrapped into one of ours.
 *
 * @example
 * redactSecrets('cannot reach amqp://app:hunter2@mq:5672'); // 'cannot reach amqp://app:***@mq:5672'
 */
export function redactSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}
