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
export function connectionFailure(url: string, error: unknown, credentialsGiven = false): BrokerUnreachableError | BrokerLoginRefusedError {
  const detail = error instanceof Error ? error.message : String(error);
  const refusal = /^Handshake terminated by server: (\d{3} .*)$/s.exec(detail)?.[1];
  if (refusal !== undefined) {
    // amqplib logs in with `clientOptions.credentials` when given, else with the URL's user and password.
    const where = credentialsGiven ? 'the user name and the password in `clientOptions.credentials`, and the virtual host in the URL' : 'the user name, the password and the virtual host in the URL';
    return new BrokerLoginRefusedError('RabbitMQ', url, `${refusal} Check ${where}.`, { cause: error });
  }
  // After a good login, the server refuses only `connection.open`, which names the virtual host
  // (530 NOT_ALLOWED: absent, or closed to the user); amqplib keeps neither code nor reason.
  if (/^Expected ConnectionOpenOk; got <ConnectionClose\b/.test(detail)) {
    const vhost = virtualHost(url);
    return new BrokerLoginRefusedError(
      'RabbitMQ',
      url,
      `the virtual host "${vhost}" does not exist or the user may not open it. Create it and grant the user access (rabbitmqctl add_vhost ${shellWord(vhost)}; rabbitmqctl set_permissions -p ${shellWord(vhost)} <user> '.*' '.*' '.*'), or name an existing one as the URL's path ("/" is written %2F).`,
      { cause: error },
    );
  }
  return new BrokerUnreachableError('RabbitMQ', url, detail, { cause: error });
}

/** The virtual host an AMQP URL names: its path decoded, `/` when it has none. */
function virtualHost(url: string): string {
  try {
    const path = new URL(url).pathname.slice(1);
    return path === '' ? '/' : decodeURIComponent(path);
  } catch {
    return '/';
  }
}

/** `word` as one shell argument. */
function shellWord(word: string): string {
  return /^[\w./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
