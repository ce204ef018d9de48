import { strict as assert } from 'node:assert';
import { RabbitMqConnection, type AmqpClient, type RabbitMqSession } from '../../adapters/rabbitmq/connection.js';
import { connectionFailure } from '../../adapters/rabbitmq/failures.js';
import { validateRabbitMqOptions } from '../../adapters/rabbitmq/options.js';
import { BrokerLoginRefusedError, BrokerUnreachableError, MessagingClosedError } from '../../lib/errors/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { FakeModel } from '../support/fake-amqp.js';
import { deferred } from '../support/wait.js';

const url = 'amqp://guest:secret@127.0.0.1:5672';
const settings = validateRabbitMqOptions({ url, exchange: 'ex', reconnectDelayMs: 0, logger: silentLogger });

/** A connection whose amqplib hands out fake models (or the errors queued in `failures`). */
function connectionWith(needed: () => boolean = () => true) {
  const models: FakeModel[] = [];
  const failures: Error[] = [];
  const recoveries: RabbitMqSession[] = [];
  const recovered = deferred<RabbitMqSession>();
  const client: AmqpClient = {
    connect: (async () => {
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      const model = new FakeModel();
      models.push(model);
      return model.asModel;
    }) as unknown as AmqpClient['connect'],
  };
  const connection = new RabbitMqConnection(settings, {
    needed,
    recovered: async (session) => {
      recoveries.push(session);
      recovered.resolve(session);
    },
  }, async () => client);
  return { connection, models, failures, recoveries, recovered: recovered.promise };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The socket options each connect() was given, with `clientOptions` as configured. */
async function socketOptionsWith(clientOptions: Record<string, unknown>): Promise<Record<string, unknown>> {
  const given: Record<string, unknown>[] = [];
  const client: AmqpClient = {
    connect: (async (_url: string, options: Record<string, unknown>) => {
      given.push(options);
      return new FakeModel().asModel;
    }) as unknown as AmqpClient['connect'],
  };
  const connection = new RabbitMqConnection(validateRabbitMqOptions({ url, exchange: 'ex', logger: silentLogger, clientOptions }), { needed: () => false, recovered: async () => {} }, async () => client);
  await connection.session();
  await connection.close();
  assert.equal(given.length, 1);
  return given[0] ?? {};
}

describe('RabbitMQ connection', () => {
  it('connects with TCP_NODELAY unless clientOptions says otherwise, keeping the other client options', async () => {
    // Nagle's algorithm held small frames (acks, publishes in flight together) behind the
    // broker's delayed ACK: about 40 ms each on Linux.
    assert.deepEqual(await socketOptionsWith({}), { noDelay: true });
    assert.deepEqual(await socketOptionsWith({ noDelay: false, heartbeat: 5 }), { noDelay: false, heartbeat: 5 });
  });

  it('opens one session for concurrent callers, with the exchange declared on its confirm channel', async () => {
    const { connection, models } = connectionWith();
    const [a, b] = await Promise.all([connection.session(), connection.session()]);
    assert.equal(a, b);
    assert.equal(models.length, 1);
    assert.deepEqual(models[0]?.channels[0]?.calls, ['assertExchange ex']);
    await turn();
    assert.equal(connection.ready, a);
    await connection.close();
  });

  it('after a drop: publishes are refused as unreachable, then a new session is handed to `recovered`', async () => {
    const { connection, models, recovered } = connectionWith();
    const first = await connection.session();
    // Heard after the connection's own listener, and before any timer (the reconnection) runs.
    const dropped = new Promise((resolve) => models[0]?.once('close', resolve));
    models[0]?.drop();
    await dropped;
    assert.equal(connection.ready, undefined);
    assert.ok(connection.outage instanceof BrokerUnreachableError);
    const second = await recovered;
    assert.notEqual(second.model, first.model);
    assert.equal(models.length, 2);
    assert.equal(connection.outage, undefined);
    await connection.close();
  });

  it('keeps retrying while the broker refuses, and does not reconnect when nothing needs it', async () => {
    const retried = connectionWith();
    await retried.connection.session();
    retried.failures.push(new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED'));
    retried.models[0]?.drop();
    await retried.recovered;
    assert.equal(retried.failures.length, 0, 'both refusals were met before the recovery');
    await retried.connection.close();

    const idle = connectionWith(() => false);
    await idle.connection.session();
    idle.models[0]?.drop();
    await turn();
    assert.equal(idle.connection.outage, undefined, 'no reconnection is pending');
    assert.equal(idle.models.length, 1);
    await idle.connection.close();
  });

  it('replaces only the publishing channel when the server closes it, on the same connection', async () => {
    const { connection, models } = connectionWith();
    const first = await connection.session();
    await models[0]?.channels[0]?.close();
    const second = await connection.session();
    assert.equal(second.model, first.model);
    assert.notEqual(second.lane, first.lane);
    assert.equal(models[0]?.channels.length, 2);
    await connection.close();
  });

  it('closes the connection when no publishing channel can be opened on it any more', async () => {
    const { connection, models } = connectionWith();
    await connection.session();
    const model = models[0] as FakeModel;
    model.refuseChannels = new Error('connection closing');
    await model.channels[0]?.close();
    await assert.rejects(connection.session(), /connection closing/);
    assert.equal(model.closed, true);
    await connection.close();
  });

  it('reports a refused login and an unreachable broker as typed errors, and refuses sessions after close()', async () => {
    const { connection, failures } = connectionWith();
    failures.push(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED"'));
    await assert.rejects(connection.session(), (error: unknown) => error instanceof BrokerLoginRefusedError && !error.message.includes('secret'));
    failures.push(new Error('connect ECONNREFUSED 127.0.0.1:5672'));
    await assert.rejects(connection.session(), BrokerUnreachableError);
    await connection.close();
    await assert.rejects(connection.session(), MessagingClosedError);
  });
});

describe('RabbitMQ failures', () => {
  it('maps connection errors to a refused login or an unreachable broker', () => {
    const refused = connectionFailure(url, new Error('Handshake terminated by server: 530 (NOT-ALLOWED) with message "vhost"'));
    assert.ok(refused instanceof BrokerLoginRefusedError);
    assert.match(refused.message, /530 \(NOT-ALLOWED\).*Check the user name, the password and the virtual host/);
    assert.ok(connectionFailure(url, new Error('getaddrinfo ENOTFOUND rabbit')) instanceof BrokerUnreachableError);
  });

  it('points a refused login at clientOptions.credentials when the login came from there', () => {
    const refused = connectionFailure(url, new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "login refused"'), true);
    assert.ok(refused instanceof BrokerLoginRefusedError);
    assert.match(refused.message, /Check the user name and the password in `clientOptions\.credentials`, and the virtual host in the URL\./);
  });

  it('maps a refused connection.open to a refused virtual host, named from the URL', () => {
    const closed = new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    const refused = connectionFailure('amqp://app:secret@mq:5672/orders%20eu', closed);
    assert.ok(refused instanceof BrokerLoginRefusedError);
    assert.match(refused.message, /the virtual host "orders eu" does not exist or the user may not open it\. Create it .*rabbitmqctl add_vhost 'orders eu'/);
    assert.doesNotMatch(refused.message, /secret/);
    assert.match(connectionFailure('amqp://mq:5672', closed).message, /the virtual host "\/"/);
  });

});
