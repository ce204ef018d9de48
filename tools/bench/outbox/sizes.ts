import type { OutboxMode, OutboxSizes } from './types.js';

/** The relays measured: one batch in flight at two sizes, and two batches of 100 in flight. */
const shapes = [
  { batchSize: 100, batchesInFlight: 1 },
  { batchSize: 500, batchesInFlight: 1 },
  { batchSize: 100, batchesInFlight: 2 },
] as const;

/** The sizes of each mode: `full` as issue 14 asks, `smoke` small enough for a loaded machine. */
const sizes: Readonly<Record<OutboxMode, OutboxSizes>> = {
  full: { stagingTransactions: 2_000, relayRows: 20_000, relays: shapes, latencyRate: 1_000, latencySeconds: 10, inboxMessages: 5_000, inboxConcurrency: 8 },
  smoke: { stagingTransactions: 200, relayRows: 2_000, relays: shapes, latencyRate: 200, latencySeconds: 2, inboxMessages: 500, inboxConcurrency: 8 },
};

/** The sizes a mode runs with. */
export const sizesOf = (mode: OutboxMode): OutboxSizes => sizes[mode];

/** The targets, shown beside the figures; nothing fails on them. */
export const targets = { addedMs: 0.1, relayRate: 10_000, p99Ms: 50 } as const;
