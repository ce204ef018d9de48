import { strict as assert } from 'node:assert';
import { expectHostPorts, expectInteger, expectKnownKeys, expectMatch, expectOneOf, expectUrl, expectUrls, withDefault } from '../../lib/config/validate.js';
import { invalidOption } from '../support/invalid-option.js';

describe('the option validators every adapter uses', () => {
  it('return the value when it is valid', () => {
    assert.deepEqual(expectHostPorts('bootstrapServers', 'k1:9092, k2:9093'), ['k1:9092', 'k2:9093']);
    assert.deepEqual(expectHostPorts('bootstrapServers', ['k1:9092']), ['k1:9092']);
    assert.equal(expectUrl('url', 'amqps://user:pw@mq:5671/vhost', ['amqp:', 'amqps:']), 'amqps://user:pw@mq:5671/vhost');
    assert.equal(expectInteger('prefetch', 65535, 1, 65535), 65535);
    assert.equal(expectMatch('exchange', 'orders', /^[a-z]+$/, 'lower-case letters'), 'orders');
    assert.deepEqual(expectUrls('url', 'amqp://mq1', ['amqp:']), ['amqp://mq1']);
    assert.deepEqual(expectUrls('url', ['amqp://mq1', 'amqp://mq2'], ['amqp:']), ['amqp://mq1', 'amqp://mq2']);
    assert.equal(expectOneOf('queueType', 'classic', ['quorum', 'classic'] as const), 'classic');
    assert.equal(withDefault(undefined, 3), 3);
    assert.equal(withDefault(null, 3), null, 'null is a value to report, not "not given"');
  });

  it('throw an InvalidArgumentError naming the option, with the value shown safely', () => {
    const cases: [check: () => unknown, argument: string, message: string][] = [
      [() => expectHostPorts('bootstrapServers', ''), 'bootstrapServers', 'Expected `bootstrapServers` to be a list of "host:port" with ports from 1 to 65535, got "".'],
      [() => expectHostPorts('bootstrapServers', 9092), 'bootstrapServers', 'Expected `bootstrapServers` to be "host:port" or a non-empty array of them, got 9092.'],
      [() => expectHostPorts('bootstrapServers', ['k1:0']), 'bootstrapServers', 'Expected `bootstrapServers` to be a list of "host:port" with ports from 1 to 65535, got "k1:0".'],
      [() => expectUrl('url', 'amqp://', ['amqp:']), 'url', 'Expected `url` to be an amqp:// URL, got "amqp://".'],
      [() => expectUrl('url', 'http://u:hunter2@h', ['redis:', 'rediss:']), 'url', 'Expected `url` to be a redis:// or rediss:// URL, got "http://u:***@h/".'],
      [() => expectInteger('prefetch', 0, 1, 65535), 'prefetch', 'Expected `prefetch` to be an integer from 1 to 65535, got 0.'],
      [() => expectInteger('blockMs', null, 1), 'blockMs', 'Expected `blockMs` to be an integer of at least 1, got null.'],
      [() => expectUrls('url', [], ['amqp:']), 'url', 'Expected `url` to be a URL or a non-empty array of URLs, got an array.'],
      [() => expectUrls('url', ['amqp://mq1', 'amqp://u:hunter2@'], ['amqp:']), 'url[1]', 'Expected `url[1]` to be an amqp:// URL, got "amqp://u:***@".'],
      [() => expectOneOf('queueType', 'Quorum', ['quorum', 'classic'] as const), 'queueType', 'Expected `queueType` to be one of "quorum", "classic", got "Quorum".'],
      [() => expectMatch('exchange', 7, /^[a-z]+$/, 'lower-case letters'), 'exchange', 'Expected `exchange` to be lower-case letters, got 7.'],
    ];
    for (const [check, argument, message] of cases) assert.throws(check, invalidOption(argument, message));
  });

  it('refuse an unknown option, suggesting the name meant when one is close', () => {
    const known = ['claimIdleMs', 'blockMs', 'maxLen'];
    const refuse = (key: string, message: string): void => assert.throws(() => expectKnownKeys('the options', { [key]: 1 }, known), invalidOption(key, message));
    refuse('claimIdle', 'Unknown option `claimIdle` in the options. Did you mean `claimIdleMs`? Known options: claimIdleMs, blockMs, maxLen.');
    refuse('MAXLEN', 'Unknown option `MAXLEN` in the options. Did you mean `maxLen`? Known options: claimIdleMs, blockMs, maxLen.');
    refuse('prefetch', 'Unknown option `prefetch` in the options. Known options: claimIdleMs, blockMs, maxLen.');
    expectKnownKeys('the options', { blockMs: 1 }, known);
    // Case aside, `retries` is three letters from `maxRetries`.
    assert.throws(() => expectKnownKeys('consumer options', { retries: 3 }, ['maxRetries', 'retryDelayMs']), invalidOption('retries', 'Unknown option `retries` in consumer options. Did you mean `maxRetries`? Known options: maxRetries, retryDelayMs.'));
  });
});
