/**
 * What a {@link StallGuard} watches and what it does about a stall.
 *
 * @example
 * const guard = new StallGuard({ timeoutMs: 60_000, busy: () => inFlight > 0, lagging, rejoin });
 */
export interface StallGuardOptions {
  /** A member idle this long without a completed fetch is checked for waiting messages. */
  readonly timeoutMs: number;
  /** True while callbacks are in flight: kafkajs does not fetch meanwhile, and that is no stall. */
  readonly busy: () => boolean;
  /**
   * Whether a partition assigned to the member has messages waiting (its end is past the
   * group's committed offset). Rejects when the broker cannot be asked: then no rejoin would help.
   */
  readonly lagging: () => Promise<boolean>;
  /** Tears the member's client down and joins the group again. */
  readonly rejoin: () => Promise<void>;
  /** Milliseconds now; replaceable for tests. */
  readonly now?: () => number;
}

/** `watching`: fetches complete; `stalled`: the member is being rejoined; `stopped`. */
export type StallState = 'watching' | 'stalled' | 'stopped';

/**
 * Catches a Kafka group member that stopped fetching while the broker answers and its partitions
 * hold messages, whatever left it so (a client stuck after a broker restart, a connection that
 * went silent): it is torn down and joins again, instead of a worker that looks alive and handles
 * nothing. The member reports each completed fetch with {@link fetched}; every `timeoutMs / 4`
 * the guard checks whether the last one is older than `timeoutMs` while no callback runs, and if
 * so asks the broker whether messages wait. One rejoin at a time; the clock starts again after it.
 */
export class StallGuard {
  #state: StallState = 'watching';
  #lastProgress: number;
  #timer: NodeJS.Timeout | undefined;
  #rejoins = 0;
  readonly #options: StallGuardOptions;
  readonly #now: () => number;

  constructor(options: StallGuardOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#lastProgress = this.#now();
  }

  /** The guard's state, for health reports. */
  get state(): StallState {
    return this.#state;
  }

  /** How many times the member was rejoined because it stalled. */
  get rejoins(): number {
    return this.#rejoins;
  }

  /** Starts the periodic check (an unref'd timer: it never keeps a process alive). */
  start(): void {
    if (this.#timer !== undefined || this.#state === 'stopped') return;
    this.#lastProgress = this.#now();
    // A failed rejoin is the member's to report; the next check tries again.
    this.#timer = setInterval(() => void this.check().catch(() => {}), Math.max(10, Math.floor(this.#options.timeoutMs / 4)));
    this.#timer.unref();
  }

  /** A fetch completed (with or without messages): the member is alive. */
  fetched(): void {
    this.#lastProgress = this.#now();
  }

  /** Stops checking for good. */
  stop(): void {
    this.#state = 'stopped';
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One check; resolves with true when it rejoined the member. Called by the timer, and by tests.
   */
  async check(): Promise<boolean> {
    if (this.#state !== 'watching') return false;
    if (this.#options.busy()) {
      this.#lastProgress = this.#now();
      return false;
    }
    if (this.#now() - this.#lastProgress < this.#options.timeoutMs) return false;
    this.#state = 'stalled';
    try {
      // Unreachable broker or nothing waiting: not a stall that a rejoin can mend.
      const waiting = await this.#options.lagging().catch(() => false);
      if (!waiting || this.#state !== 'stalled') return false;
      this.#rejoins += 1;
      await this.#options.rejoin();
      return true;
    } finally {
      if (this.#state === 'stalled') this.#state = 'watching';
      this.#lastProgress = this.#now();
    }
  }
}
