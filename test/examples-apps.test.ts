import { strict as assert } from 'node:assert';
import request from 'supertest';
import { createApp as createExpressApp } from '../examples/express-app.js';
import { createApp as createKoaApp } from '../examples/koa-app.js';
import { configureMessaging, getMessaging, resetMessaging } from '../entry/index.js';
import { recordPublished } from '../entry/testing.js';

// The example apps as a user's own test would check them: one request, one event.
describe('example apps', () => {
  // Other test files reset the default instance: configure it here as examples/messaging.ts does.
  beforeEach(() => configureMessaging({ broker: 'memory', source: 'user-service', defaultTopic: 'user-events' }));
  afterEach(() => resetMessaging());

  for (const [name, server] of [
    ['express', () => createExpressApp()],
    ['koa', () => createKoaApp().callback()],
  ] as const) {
    it(`${name}: POST /users/register answers 201 and publishes user.created; a 400 publishes nothing`, async () => {
      const recorder = recordPublished(getMessaging());
      await request(server()).post('/users/register').send({ email: 'nope' }).expect(400);
      const response = await request(server()).post('/users/register').send({ email: 'ana@example.com' }).expect(201);
      const event = await recorder.waitForEvent('user.created');
      assert.deepEqual(event.data, response.body);
      assert.equal(recorder.events.length, 1);
      assert.equal(recorder.messages[0]?.topic, 'user-events');
      assert.equal(recorder.messages[0]?.key, String((response.body as { id: number }).id));
      recorder.stop();
    });
  }
});
