import type { OutboxMode, OutboxSizes } from './types.js';

/** The sizes of each mode: `full` as issue 14 asks, `smoke` small enough for a loaded machine. */
const sizes: Readonly<Record<OutboxMode, OutboxSizes>> = {
  full: { stagingTransactions: 2_000, relayRows: 20_000, batchSizes: [100, 500], latencyRate: 1_000, latencySeconds: 10, inboxMessages: 5_000, inboxConcurrency: 8 },
  smoke: { stagingTransactions: 200, relayRows: 2_000, batchSizes: [100, 500], latencyRate: 200, latencySeconds: 2, inboxMessages: 500, inboxConcurrency: 8 },
};

/** The sizes a mode runs with. */
export const sizesOf = (mode: OutboxMode): OutboxSizes => sizes[mode];

/** The targets, shown beside the figures; nothing fails on them. */
export const targets = { addedMs: 0.1, relayRate: 10_000, p99Ms: 50 } as const;
