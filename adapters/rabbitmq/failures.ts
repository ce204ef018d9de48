import { BrokerLoginRefusedError, BrokerUnreachableError } from '../../lib/errors/index.js';

/**
 * Why connecting failed, in terms the user can act on. amqplib reports the server's refusal
 * during the handshake (403 ACCESS_REFUSED for a wrong user or password, 530 NOT_ALLOWED for a
 * virtual host the user may not open) only as the text of a plain Error, "Handshake terminated
 * by server: <reply code> (<name>) …", so the AMQP reply code is read from there. Every other
 * failure (refused, timed out, name not found, socket closed) means the server is unreachable.
 *
 * @example
 * const model = await amqp.connect(url).catch((error) => { throw connectionFailure(url, error); });
 */
export function connectionFailure(url: string, error: unknown): BrokerUnreachableError | BrokerLoginRefusedError {
  const detail = error instanceof Error ? error.message : String(error);
  const refusal = /^Handshake terminated by server: (\d{3} .*)$/s.exec(detail)?.[1];
  if (refusal !== undefined) {
    return new BrokerLoginRefusedError('RabbitMQ', url, `${refusal} Check the user name, the password and the virtual host in the URL.`, { cause: error });
  }
  return new BrokerUnreachableError('RabbitMQ', url, detail, { cause: error });
}
