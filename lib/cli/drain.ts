/**
 * How a bounded wait ended: the work settled, the grace period passed, or a signal cut it short.
 *
 * @example
 * if (result.kind === 'timeout') process.exitCode = 1;
 */
export type DrainResult =
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals };

/**
 * Waits for `work` for at most `graceMs`, or until `interrupt` resolves (the next stop signal).
 * The work is not cancelled: the caller exits and the process ends with it.
 *
 * @example
 * const result = await drain(running.stop(), 30_000, signals.second);
 */
export async function drain(work: Promise<void>, graceMs: number, interrupt: Promise<NodeJS.Signals>): Promise<DrainResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DrainResult>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), graceMs);
  });
  try {
    return await Promise.race<DrainResult>([
      work.then(
        () => ({ kind: 'done' }),
        (error: unknown) => ({ kind: 'failed', error }),
      ),
      timeout,
      interrupt.then((signal) => ({ kind: 'signal', signal })),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
