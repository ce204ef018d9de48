// The order-service consumer and message handler of the Python core.messaging design. Run it with
// the CLI: MESSAGING_BROKER=redis npm run worker (node --import tsx entry/bin.ts consumer examples/worker.ts)
import { z } from 'zod';
import { createConsumer, getProducer, messageHandler, withSchema, type MessageContext } from 'eventwire';
import { names } from './messaging.js';

/** Stands in for the database session that core.messaging injects as `db`. */
export const db = {
  orders: new Map<number, { userId: number; paid: boolean }>(),
  emails: [] as string[],
};

/** What the `context` factory adds to each handler's ctx; annotate it where a schema is used. */
type Ctx = MessageContext<{ db: typeof db }>;

const UserCreated = z.object({ id: z.number(), email: z.string() });
const PaymentCompleted = z.object({ order_id: z.number() });

// @consumer("order-service", topics=["user-events", "payment-events"]) with two @on_event methods.
createConsumer({
  groupId: names.orderGroup,
  topics: [names.userTopic, names.paymentTopic],
  context: () => ({ db }),
  handlers: {
    'user.created': withSchema(UserCreated, async (event, ctx: Ctx) => {
      const orderId = ctx.db.orders.size + 1;
      ctx.db.orders.set(orderId, { userId: event.data.id, paid: false });
      console.log(`order-service: welcome order ${orderId} for user ${event.data.id} <${event.data.email}> (event ${event.id} from ${event.source})`);
      await getProducer().send(names.orderTopic, { order_id: orderId, user_id: event.data.id, user_email: event.data.email, total: 0 });
    }),
    'payment.completed': withSchema(PaymentCompleted, async (event, ctx: Ctx) => {
      const order = ctx.db.orders.get(event.data.order_id);
      if (order !== undefined) order.paid = true;
      console.log(`order-service: order ${event.data.order_id} paid`);
    }),
  },
});

// @message_handler(topic="orders.created", schema=OrderCreatedEvent), with retries.
const OrderCreated = z.object({ order_id: z.number(), user_id: z.number(), user_email: z.string(), total: z.number() });

messageHandler(
  { topic: names.orderTopic, groupId: names.emailGroup, schema: OrderCreated, maxRetries: 3, retryDelayMs: 500, context: () => ({ db }) },
  async function sendOrderConfirmation(order, ctx) {
    ctx.db.emails.push(order.user_email);
    console.log(`email: "Order #${order.order_id} received." sent to ${order.user_email} (attempt ${ctx.attempt})`);
  },
);
