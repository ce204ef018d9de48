import { strict as assert } from 'node:assert';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ClientSpans } from '../../adapters/client-spans.js';
import { silentLogger } from '../../lib/config/logger.js';

// The unit under the Kafka and RabbitMQ adapters that keeps an OpenTelemetry instrumentation of the
// client off eventwire's own calls; test/telemetry/client-instrumentations.test.ts runs it with the
// real instrumentations. Here the wrappers carry the marks those instrumentations' shimmer sets.

type Method = (...args: never[]) => string;

/** `original` wrapped the way @opentelemetry/instrumentation wraps a method. */
function wrap(original: Method): Method {
  const wrapper: Method = (...args) => `wrapped ${original(...args)}`;
  return Object.assign(wrapper, { __wrapped: true, __original: original, __unwrap: () => {} });
}

describe('ClientSpans', () => {
  const manager = new AsyncLocalStorageContextManager();
  let infos: string[] = [];
  const logger = { ...silentLogger, info: (message: string) => void infos.push(message) };
  const original: Method = () => 'original';

  before(() => context.setGlobalContextManager(manager.enable()));
  after(() => context.disable());
  beforeEach(() => {
    infos = [];
  });

  it('leaves a wrapped client alone until eventwire says it traces', () => {
    const spans = new ClientSpans('@opentelemetry/instrumentation-kafkajs', logger);
    const wrapped = wrap(original);
    assert.equal(spans.consumer(wrapped), wrapped);
    assert.equal(spans.publish(wrapped, () => isTracingSuppressed(context.active())), false);
    assert.deepEqual(infos, []);
  });

  it('leaves a client no instrumentation wrapped alone, and says nothing', () => {
    const spans = new ClientSpans('@opentelemetry/instrumentation-kafkajs', logger);
    spans.own();
    assert.equal(spans.consumer(original), original);
    assert.equal(spans.publish(original, () => isTracingSuppressed(context.active())), false);
    assert.deepEqual(infos, []);
  });

  it('once owned, starts consumers through the unwrapped method, however often it was wrapped', () => {
    const spans = new ClientSpans('@opentelemetry/instrumentation-amqplib', logger);
    spans.own();
    assert.equal(spans.consumer(wrap(wrap(original))), original);
  });

  it('once owned, publishes through a wrapped method with tracing suppressed, and only under that call', () => {
    const spans = new ClientSpans('@opentelemetry/instrumentation-amqplib', logger);
    spans.own();
    assert.equal(spans.publish(wrap(original), () => isTracingSuppressed(context.active())), true);
    assert.equal(isTracingSuppressed(context.active()), false);
  });

  it('logs once, at info level, naming the instrumentation and the switch that keeps its spans', () => {
    const spans = new ClientSpans('@opentelemetry/instrumentation-kafkajs', logger);
    spans.own();
    spans.consumer(wrap(original));
    spans.publish(wrap(original), () => undefined);
    assert.equal(infos.length, 1);
    assert.match(infos[0] ?? '', /^@opentelemetry\/instrumentation-kafkajs is active: .*telemetry: \{ tracing: false \}/);
  });
});
