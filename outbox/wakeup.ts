/**
 * The relay's waits: until a notification, the poll interval, or stop, whichever comes first
 * ({@link Wakeup.idle}); or a backoff that only stop cuts short ({@link Wakeup.pause}), so that
 * inserts during a broker outage do not hammer the broker. A notification that arrives while
 * the relay is busy is remembered, and the next idle wait returns at once.
 *
 * @example
 * const wakeup = new Wakeup(); listener.onNotify = () => wakeup.notify(); await wakeup.idle(1_000);
 */
export class Wakeup {
  #notified = false;
  #stopped = false;
  #idle: (() => void) | undefined;
  #pause: (() => void) | undefined;

  /** A row was inserted (or may have been): ends an idle wait. */
  notify(): void {
    this.#notified = true;
    this.#idle?.();
  }

  /** Ends every wait, now and later. */
  stop(): void {
    this.#stopped = true;
    this.#idle?.();
    this.#pause?.();
  }

  /** Waits up to `ms` for a notification. */
  async idle(ms: number): Promise<void> {
    if (this.#notified || this.#stopped) {
      this.#notified = false;
      return;
    }
    await this.#wait(ms, (end) => (this.#idle = end));
    this.#idle = undefined;
    this.#notified = false;
  }

  /** Waits `ms` unless stopped; notifications do not end it. */
  async pause(ms: number): Promise<void> {
    if (this.#stopped) return;
    await this.#wait(ms, (end) => (this.#pause = end));
    this.#pause = undefined;
  }

  #wait(ms: number, expose: (end: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      expose(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
