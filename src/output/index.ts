/**
 * The output pipeline of a supervised child: bytes → lines ({@link LineSplitter}) → masked
 * ({@link createMasker}) → output commands taken out ({@link parseOutputCommand}) → kept in a
 * {@link RingBuffer} and emitted. This module holds the ring buffer and is the one import for the rest.
 */
export { LineSplitter, truncationMarker } from './lines.js';
export { createMasker, maskText, MASK, type Masker } from './mask.js';
export {
  parseOutputCommand,
  COMMAND_PREFIX,
  type OutputCommand,
  type MalformedCommand,
} from './commands.js';

/**
 * The last `capacity` items pushed, oldest first. `push` is O(1) and never reallocates once full;
 * a capacity of 0 keeps nothing.
 */
export class RingBuffer<T> {
  /** Grows up to `capacity` as items arrive (a large capacity costs nothing until used), then wraps. */
  private items: T[] = [];
  /** Index of the oldest item once the buffer is full (and of the next overwrite). */
  private head = 0;

  /** @param capacity most items kept; a non-negative integer. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`Expected \`capacity\` to be a non-negative integer, got \`${String(capacity)}\` (${typeof capacity})`);
    }
  }

  /** Items currently kept. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item, dropping the oldest when full. */
  push(item: T): void {
    const items = this.items;
    if (items.length < this.capacity) {
      items.push(item);
      return;
    }
    if (this.capacity === 0) return;
    items[this.head] = item;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
  }

  /** The kept items oldest first, or only the newest `last` of them (still oldest first). */
  toArray(last?: number): T[] {
    const items = this.items;
    const size = items.length;
    const n = last === undefined || last >= size ? size : last > 0 ? Math.floor(last) : 0;
    if (n === 0) return [];
    // Logical index i (0 = oldest) lives at (head + i) % size; the newest n start at size - n.
    const from = (this.head + size - n) % size;
    const upto = from + n;
    if (upto <= size) return items.slice(from, upto);
    return items.slice(from).concat(items.slice(0, upto - size));
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
