import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { brokerProblem } from '../scripts/check-brokers.js';
import { brokerAddress } from './support/broker-address.js';

/** A TCP server on a free port of 127.0.0.1 that accepts and drops connections. */
async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('broker addresses and the CI broker check', () => {
  it('reads each address from the variable the library reads, with the client default port', () => {
    assert.deepEqual(brokerAddress('redis', {}), { host: '127.0.0.1', port: 6379, url: 'redis://127.0.0.1:6379' });
    assert.deepEqual(brokerAddress('redis', { REDIS_URL: 'redis://:secret@cache.internal/2' }), { host: 'cache.internal', port: 6379, url: 'redis://:secret@cache.internal/2' });
    assert.equal(brokerAddress('rabbitmq', { RABBITMQ_URL: 'amqp://u:p@mq:5673/vhost' }).port, 5673);
    assert.deepEqual(brokerAddress('kafka', { KAFKA_BOOTSTRAP_SERVERS: 'k1:19092,k2:29092' }), { host: 'k1', port: 19092, url: 'k1:19092,k2:29092' });
    assert.equal(brokerAddress('kafka', { KAFKA_BOOTSTRAP_SERVERS: '' }).port, 9092, 'an empty variable means the default');
    assert.deepEqual(brokerAddress('postgres', {}), { host: '127.0.0.1', port: 5432, url: 'postgres://postgres@127.0.0.1:5432/test' });
    assert.equal(brokerAddress('postgres', { DATABASE_URL: 'postgres://app:secret@db/app' }).port, 5432, "PostgreSQL's port when the URL names none");
  });

  it('accepts a broker that answers at the configured address, not at the standard port', async () => {
    const { server, port } = await listening();
    try {
      assert.equal(await brokerProblem('redis', { REDIS_URL: `redis://127.0.0.1:${port}` }), undefined);
      assert.equal(await brokerProblem('kafka', { KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${port}` }), undefined);
    } finally {
      await close(server);
    }
  });

  it('reports a broker unreachable at the configured address, naming the address and the variable', async () => {
    const { server, port } = await listening();
    await close(server); // nothing listens on that port any more
    const problem = await brokerProblem('rabbitmq', { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}` });
    assert.match(problem ?? '', new RegExp(`^rabbitmq is not reachable at 127\\.0\\.0\\.1:${port} \\(RABBITMQ_URL=amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}\\)`));
  });

  it('reports a RabbitMQ that accepts TCP but does not answer AMQP within the bound, without the password', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket)); // accepts, then never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const problem = await brokerProblem('rabbitmq', { RABBITMQ_URL: `amqp://guest:s3cret@127.0.0.1:${port}` }, 300);
      assert.match(problem ?? '', /^rabbitmq accepts TCP \(RABBITMQ_URL=amqp:\/\/guest:\*\*\*@.*\) but did not declare and delete a quorum queue: no AMQP answer within 300 ms/);
      assert.ok(!(problem ?? '').includes('s3cret'), 'the password stays out of the message');
    } finally {
      for (const socket of sockets) socket.destroy();
      await close(server);
    }
  });

  it('reports an address that cannot be parsed', async () => {
    assert.match((await brokerProblem('kafka', { KAFKA_BOOTSTRAP_SERVERS: 'not a:host:port' })) ?? '', /KAFKA_BOOTSTRAP_SERVERS=not a:host:port is not an address/);
  });

  it('reports PostgreSQL unreachable with the command that starts it', async () => {
    const { server, port } = await listening();
    await close(server);
    const problem = await brokerProblem('postgres', { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` });
    assert.match(problem ?? '', new RegExp(`^postgres is not reachable at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL=.*\\); start it \\(pg_ctlcluster`));
  });
});
