// Shared by the examples: configure once at start-up (what `src/main.py` does in the Python
// core.messaging design). Code wins over the environment; here the environment picks the broker
// so one example runs on all four:
//   MESSAGING_BROKER=redis npm run demo
import { configureMessaging } from 'eventwire';

const env = process.env;
const source = env.MESSAGING_SOURCE ?? 'user-service';
/** Put before every topic and group name below, so that two developers can share one broker. */
const prefix = env.EXAMPLE_PREFIX ?? '';

/** The examples' topic and group names: each from its variable, else the prefix and the usual name. */
export const names = {
  userTopic: env.EXAMPLE_USER_TOPIC ?? `${prefix}user-events`,
  paymentTopic: env.EXAMPLE_PAYMENT_TOPIC ?? `${prefix}payment-events`,
  orderTopic: env.EXAMPLE_ORDER_TOPIC ?? `${prefix}orders.created`,
  orderGroup: env.EXAMPLE_ORDER_GROUP ?? `${prefix}order-service`,
  // What messageHandler would name the group without one: `<source>.<function name>`.
  emailGroup: env.EXAMPLE_EMAIL_GROUP ?? `${prefix}${source}.sendOrderConfirmation`,
} as const;

export const messaging = configureMessaging({
  broker: (env.MESSAGING_BROKER as 'kafka' | 'rabbitmq' | 'redis' | 'memory' | undefined) ?? 'memory',
  source,
  defaultTopic: names.userTopic,
});
