/** A callback waiting for something to fire, with the reason it fired. */
export type Waiter = (reason: unknown) => void;

/** One entry of a {@link WaiterList}, as {@link WaiterList.add} returned it. */
export interface Waiting {
  /** Removes the callback from its list; nothing happens when it was removed or called already. */
  cancel(): void;
}

/** A node of the doubly linked list; `list` is unset once it left the list. */
class Entry implements Waiting {
  readonly waiter: Waiter;
  list: WaiterList | undefined;
  previous: Entry | undefined;
  next: Entry | undefined;

  constructor(waiter: Waiter, list: WaiterList, previous: Entry | undefined) {
    this.waiter = waiter;
    this.list = list;
    this.previous = previous;
  }

  cancel(): void {
    this.list?.remove(this);
  }
}

/**
 * Callbacks waiting on one thing (an abort signal, a publish deadline), added and removed in
 * constant time through the handle {@link add} returns, and called in the order they were added
 * when it fires. Why not a `Set` of the callbacks: a publish adds one and removes it again on
 * every send, and a `Set` keyed by each send's fresh closure cost an awaited send measurably more
 * than one small list entry does (the two builds compared in one process, interleaved).
 *
 * @example
 * const waiters = new WaiterList();
 * const waiting = waiters.add((reason) => reject(reason));
 * // settled in time: waiting.cancel(); or it fired: waiters.fire(reason);
 */
export class WaiterList {
  #first: Entry | undefined;
  #last: Entry | undefined;
  #size = 0;

  /** How many callbacks wait. */
  get size(): number {
    return this.#size;
  }

  /** Adds `waiter` at the end; the same function added twice waits twice. */
  add(waiter: Waiter): Waiting {
    const entry = new Entry(waiter, this, this.#last);
    if (this.#last === undefined) this.#first = entry;
    else this.#last.next = entry;
    this.#last = entry;
    this.#size += 1;
    return entry;
  }

  /** Takes `waiting` out of this list; the same as `waiting.cancel()`. */
  remove(waiting: Waiting): void {
    const entry = waiting as Entry;
    if (entry.list !== this) return;
    entry.list = undefined;
    if (entry.previous === undefined) this.#first = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === undefined) this.#last = entry.previous;
    else entry.next.previous = entry.previous;
    entry.previous = undefined;
    entry.next = undefined;
    this.#size -= 1;
  }

  /**
   * Empties the list, then calls each callback it held with `reason`, in the order they were
   * added. A callback that adds to the list adds for the next time.
   */
  fire(reason: unknown): void {
    let entry = this.#first;
    this.#first = undefined;
    this.#last = undefined;
    this.#size = 0;
    const called: Waiter[] = [];
    while (entry !== undefined) {
      entry.list = undefined;
      called.push(entry.waiter);
      entry = entry.next;
    }
    for (const waiter of called) waiter(reason);
  }
}
