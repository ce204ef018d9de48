import { bounded, deferred, type Deferred } from '../waiting.js';

/**
 * Where a consumer member is in its life: `running` takes messages; `draining` takes none and lets
 * the callbacks in flight finish; `closed` is final, and `closed` (the promise) has settled.
 */
export type MemberPhase = 'running' | 'draining' | 'closed';

/**
 * The lifecycle every adapter's consumer member shares: the count of callbacks in flight, waiters
 * for "none in flight", the `closed` promise of its subscription, and stopping on an abort signal.
 * The member keeps its broker-specific work (cancelling consumers, committing, acknowledging) and
 * tells this unit what happened; this unit holds no timer and no broker client.
 *
 * running → draining ({@link stop}) → closed ({@link close}); {@link close} (the broker instance
 * closes) and {@link fail} also go to closed straight from running.
 *
 * @example
 * const life = new MemberLifecycle();
 * life.stopOn(request.signal, () => void drain());
 * async function drain() { if (!life.stop()) return; await life.idle(); life.close(); }
 */
export class MemberLifecycle {
  #phase: MemberPhase = 'running';
  #inFlight = 0;
  /** Released when no callback is in flight, or when the member closes. */
  readonly #idle = new Set<() => void>();
  readonly #closed: Deferred<void> = deferred();

  constructor() {
    // A failure surfaces through `closed`; a caller that never awaits it must not crash the process.
    this.#closed.promise.catch(() => {});
  }

  /** The current phase. */
  get phase(): MemberPhase {
    return this.#phase;
  }

  /** True while the member takes new messages. */
  get running(): boolean {
    return this.#phase === 'running';
  }

  /** Callbacks started and not yet ended. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Settles once the member closed: resolves after {@link close}, rejects after {@link fail}. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** A callback starts. */
  begin(): void {
    this.#inFlight += 1;
  }

  /** A callback ended (either way); the last one releases the {@link idle} waiters. Pairs with {@link begin}. */
  end(): void {
    if (this.#inFlight === 0) return;
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#release();
  }

  /**
   * Resolves true once no callback is in flight (at once when none is) or the member was
   * closed. With `withinMs`, resolves false instead when that time runs out first.
   */
  async idle(withinMs?: number): Promise<boolean> {
    if (this.#inFlight === 0 || this.#phase === 'closed') return true;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => this.#idle.add((release = resolve)));
    if (withinMs === undefined) {
      await released;
      return true;
    }
    const done = await bounded(released, withinMs);
    this.#idle.delete(release);
    return done;
  }

  /**
   * Calls `stop` once when `signal` aborts, or at once when it has aborted already.
   * Returns true when it was called at once.
   */
  stopOn(signal: AbortSignal, stop: () => void): boolean {
    if (signal.aborted) {
      stop();
      return true;
    }
    signal.addEventListener('abort', () => stop(), { once: true });
    return false;
  }

  /** running → draining. True the first time; false when the member was not running (stop twice, or after close). */
  stop(): boolean {
    if (this.#phase !== 'running') return false;
    this.#phase = 'draining';
    return true;
  }

  /**
   * The member finished, or its broker instance closed (callbacks still in flight no longer
   * count): idle waiters are released and `closed` resolves. Nothing happens when closed already.
   */
  close(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#release();
    this.#closed.resolve();
  }

  /** The member failed: `closed` rejects with `error`. False (and nothing changes) when it was closed already. */
  fail(error: unknown): boolean {
    if (this.#phase === 'closed') return false;
    this.#phase = 'closed';
    this.#release();
    this.#closed.reject(error);
    return true;
  }

  #release(): void {
    const waiters = [...this.#idle];
    this.#idle.clear();
    for (const release of waiters) release();
  }
}
