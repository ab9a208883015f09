/**
 * The output pipeline of a supervised child: bytes → lines ({@link LineSplitter}; unended text
 * flushed as partial lines by a {@link PartialFlusher}) → masked
 * ({@link createMasker}) → output commands taken out ({@link parseOutputCommand}) → kept in a
 * {@link RingBuffer} and emitted. This module holds the ring buffer and is the one import for the rest.
 */
export { LineSplitter, PartialFlusher, truncationMarker } from './lines.js';
export { createMasker, maskText, MASK, type Masker } from './mask.js';
export {
  parseOutputCommand,
  COMMAND_PREFIX,
  type OutputCommand,
  type MalformedCommand,
} from './commands.js';

/** An optional second bound of a {@link RingBuffer}: the total weight (for output lines, their length). */
export interface WeightLimit<T> {
  /** Most total weight kept; the newest item is always kept, whatever its weight. */
  readonly max: number;
  /** The weight of one item. */
  readonly weigh: (item: T) => number;
}

/**
 * The last `capacity` items pushed, oldest first, and, with a weight limit, no more than `max` total
 * weight: one chatty child printing huge lines cannot pin the host's memory. `push` is amortised
 * O(1): the oldest items are dropped by moving a start index, and the array is compacted once the
 * dropped part outweighs the kept part. A capacity of 0 keeps nothing.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[] = [];
  /** Index of the oldest kept item. */
  private start = 0;
  private weight = 0;

  /**
   * @param capacity most items kept; a non-negative integer.
   * @param limit a bound on the total weight as well.
   */
  constructor(
    readonly capacity: number,
    private readonly limit?: WeightLimit<T>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`Expected \`capacity\` to be a non-negative integer, got \`${String(capacity)}\` (${typeof capacity})`);
    }
  }

  /** Items currently kept. */
  get size(): number {
    return this.items.length - this.start;
  }

  /** Total weight of the kept items (0 without a weight limit). */
  get totalWeight(): number {
    return this.weight;
  }

  /** Adds an item, dropping the oldest while over the capacity or the weight limit. */
  push(item: T): void {
    if (this.capacity === 0) return;
    this.items.push(item);
    const limit = this.limit;
    if (limit) this.weight += limit.weigh(item);
    if (this.items.length - this.start > this.capacity) this.dropOldest();
    if (limit) while (this.weight > limit.max && this.items.length - this.start > 1) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.items[this.start] as T;
    this.items[this.start] = undefined;
    this.start++;
    if (this.limit) this.weight -= this.limit.weigh(oldest);
    // Compact once the dropped prefix is longer than what is kept (and worth a copy).
    if (this.start >= 64 && this.start * 2 >= this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  /** The kept items oldest first, or only the newest `last` of them (still oldest first). */
  toArray(last?: number): T[] {
    const size = this.items.length - this.start;
    const n = last === undefined || last >= size ? size : last > 0 ? Math.floor(last) : 0;
    if (n === 0) return [];
    return this.items.slice(this.items.length - n) as T[];
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
    this.start = 0;
    this.weight = 0;
  }
}
