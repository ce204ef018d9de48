/**
 * A queue whose `shift` is O(1) however long it grows: `Array.prototype.shift` copies a large
 * array, which makes draining a long backlog quadratic.
 *
 * @example
 * const fifo = new Fifo<number>(); fifo.push(1); fifo.unshift(0); fifo.shift(); // 0
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Items queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends an item at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Puts an item back in front (a redelivery goes first). */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** The first item; the caller checks `length` first. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
