/**
 * Removes credentials from a broker address before it reaches a log line or an error message.
 * Handles URLs (`amqp://user:pass@host`) and Kafka host lists alike; unparsable input is
 * replaced whole rather than echoed.
 *
 * @example
 * redactUrl('amqp://guest:secret@rabbit:5672/'); // 'amqp://guest:***@rabbit:5672/'
 */
export function redactUrl(address: string): string {
  if (!address.includes('://')) return address.includes('@') ? '[redacted address]' : address;
  try {
    const url = new URL(address);
    if (url.password !== '') url.password = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '[redacted address]';
  }
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
