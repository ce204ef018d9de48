import { strict as assert } from 'node:assert';
import {
  BrokerLoginRefusedError,
  BrokerRefusedError,
  BrokerUnreachableError,
  MessagingClosedError,
  MissingDependencyError,
  NotEnoughReplicasError,
  PublishError,
} from '../../lib/errors/index.js';
import { publishFailure } from '../../lib/publishing/publish-failure.js';

const url = 'amqp://guest:secret@127.0.0.1:5672';
const orders = { broker: 'rabbitmq', topic: 'orders', count: 2 };

describe('publishFailure: what a failed publish rejects with', () => {
  it("wraps a client's error in a PublishError naming the broker, topic and count, with secrets masked", () => {
    const plain = new Error('Channel closed by server: 404 (NOT-FOUND) for amqp://app:hunter2@mq:5672');
    const wrapped = publishFailure(orders, plain);
    assert.ok(wrapped instanceof PublishError && wrapped.topic === 'orders' && wrapped.cause === plain);
    assert.equal(wrapped.code, 'EVENTWIRE_PUBLISH_FAILED');
    assert.match(wrapped.message, /^RabbitMQ did not acknowledge the 2 messages to "orders": Channel closed by server: 404 \(NOT-FOUND\) for amqp:\/\/app:\*\*\*@mq:5672\. Fix what the broker reports/);
    assert.doesNotMatch(wrapped.message, /hunter2/);
  });

  it('wraps a refusal without a client error, and names a broker it does not know by its name', () => {
    const refused = new BrokerRefusedError('RabbitMQ nacked a message to "orders".');
    const wrapped = publishFailure({ broker: 'nats', topic: 'orders', count: 1 }, refused);
    assert.ok(wrapped instanceof PublishError && wrapped.cause === refused);
    assert.match(wrapped.message, /^The broker "nats" did not acknowledge the message to "orders": RabbitMQ nacked a message to "orders"\. Fix/);
    assert.match(publishFailure({ ...orders, broker: 'kafka' }, 'a string').message, /^Kafka did not acknowledge the 2 messages to "orders": no reason given\./);
  });

  it('keeps the connection error as cause and its message first, then says what to do', () => {
    const down = new BrokerUnreachableError('RabbitMQ', url, 'connect ECONNREFUSED 127.0.0.1:5672');
    const unreachable = publishFailure(orders, down);
    assert.ok(unreachable instanceof PublishError && unreachable.cause === down);
    assert.equal(unreachable.message, `${down.message}. The 2 messages to "orders" were not acknowledged. Send again once the broker is reachable.`);
    const login = new BrokerLoginRefusedError('RabbitMQ', url, '403 (ACCESS-REFUSED) Check the user name.');
    const refused = publishFailure(orders, login);
    assert.ok(refused instanceof PublishError && refused.cause === login);
    assert.match(refused.message, /refused the login: 403 \(ACCESS-REFUSED\) Check the user name\. The 2 messages to "orders" were not acknowledged\. Fix the credentials, then send again\.$/);
    assert.doesNotMatch(`${unreachable.message} ${refused.message}`, /secret/);
  });

  it('says that a publish refused for lack of in-sync replicas was not acknowledged and can be sent again', () => {
    const shortage = new NotEnoughReplicasError('Kafka refused the publish to "orders" with NOT_ENOUGH_REPLICAS: fewer replicas are in sync.');
    const wrapped = publishFailure({ ...orders, broker: 'kafka' }, shortage);
    assert.ok(wrapped instanceof PublishError && wrapped.cause === shortage);
    assert.equal(wrapped.message, `${shortage.message} The 2 messages to "orders" were not acknowledged. Send again once the brokers are back.`);
  });

  it('leaves errors that are typed already as they are', () => {
    const own = new PublishError('orders', 'my broker says no');
    assert.equal(publishFailure(orders, own), own);
    const closed = new MessagingClosedError();
    assert.equal(publishFailure(orders, closed), closed);
    const missing = new MissingDependencyError('amqplib', 'RabbitMQ adapter');
    assert.equal(publishFailure(orders, missing), missing);
  });
});
