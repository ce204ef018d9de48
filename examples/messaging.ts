// Shared by the examples: configure once at start-up (the seed's src/main.py). Code wins over the
// environment; here the environment picks the broker so one example runs on all four:
//   MESSAGING_BROKER=redis npm run demo
import { configureMessaging } from 'eventwire';

export const messaging = configureMessaging({
  broker: (process.env.MESSAGING_BROKER as 'kafka' | 'rabbitmq' | 'redis' | 'memory' | undefined) ?? 'memory',
  source: process.env.MESSAGING_SOURCE ?? 'user-service',
  defaultTopic: 'user-events',
});
