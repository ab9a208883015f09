/**
 * The output pipeline of a supervised child: bytes → lines ({@link LineSplitter}; unended text
 * flushed as partial lines by a {@link PartialFlusher}) → masked
 * ({@link createMasker}) → output commands taken out ({@link parseOutputCommand}) → kept in a
 * {@link RingBuffer} and emitted. This module holds the ring buffer and is the one import for the rest.
 */
export { LineSplitter, PartialFlusher, truncationMarker, type LineSink, type PartialSource } from './lines.js';
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
 * weight: one chatty child printing huge lines cannot pin the host's memory. A circular array: `push`
 * is O(1) (amortised while the array grows), and once `capacity` items are held a push overwrites
 * the oldest in place, with no copying and no allocation (measured: the `output` bench). The array
 * grows by doubling up to `capacity`, so a large capacity costs nothing until it is used. Each item
 * is weighed once, when pushed. A capacity of 0 keeps nothing.
 */
export class RingBuffer<T> {
  /** The items, circular: the oldest at `head`, then `count` of them (wrapping around the end). */
  private items: (T | undefined)[] = [];
  /** The weight of the item in the same slot of `items` (with a weight limit only). */
  private weights: Float64Array | undefined;
  /** Index of the oldest kept item. */
  private head = 0;
  /** Items kept. */
  private count = 0;
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
    return this.count;
  }

  /** Total weight of the kept items (0 without a weight limit). */
  get totalWeight(): number {
    return this.weight;
  }

  /** Adds an item, dropping the oldest while over the capacity or the weight limit. */
  push(item: T): void {
    let items = this.items;
    const length = items.length;
    let at: number;
    if (this.count < length) {
      // Room in the array: the slot after the newest.
      at = this.head + this.count;
      if (at >= length) at -= length;
      this.count++;
    } else if (length < this.capacity) {
      items = this.grow();
      at = this.count++;
    } else {
      if (length === 0) return; // capacity 0
      // Full: the newest takes the oldest's slot.
      at = this.head;
      this.head = at + 1 === length ? 0 : at + 1;
      if (this.weights) this.weight -= this.weights[at] as number;
    }
    items[at] = item;
    const limit = this.limit;
    if (limit) {
      const weight = limit.weigh(item);
      (this.weights as Float64Array)[at] = weight;
      this.weight += weight;
      while (this.weight > limit.max && this.count > 1) this.dropOldest();
    }
  }

  /** Doubles the array (up to `capacity`), the oldest item first, and returns it. */
  private grow(): (T | undefined)[] {
    const old = this.items;
    const size = Math.min(this.capacity, Math.max(16, old.length * 2));
    const items: (T | undefined)[] = [];
    for (let i = 0; i < this.count; i++) items.push(old[this.slot(i)]);
    while (items.length < size) items.push(undefined);
    if (this.limit) {
      // Made with the first item: most buffers of a thousand idle processes never get one.
      const weights = new Float64Array(size);
      const old = this.weights;
      if (old) for (let i = 0; i < this.count; i++) weights[i] = old[this.slot(i)] as number;
      this.weights = weights;
    }
    this.items = items;
    this.head = 0;
    return items;
  }

  /** The slot of the `i`th oldest kept item. */
  private slot(i: number): number {
    const at = this.head + i;
    return at >= this.items.length ? at - this.items.length : at;
  }

  private dropOldest(): void {
    const at = this.head;
    this.items[at] = undefined;
    if (this.weights) this.weight -= this.weights[at] as number;
    this.head = at + 1 === this.items.length ? 0 : at + 1;
    this.count--;
  }

  /** The kept items oldest first, or only the newest `last` of them (still oldest first). */
  toArray(last?: number): T[] {
    const size = this.count;
    const n = last === undefined || last >= size ? size : last > 0 ? Math.floor(last) : 0;
    const out: T[] = [];
    for (let i = size - n; i < size; i++) out.push(this.items[this.slot(i)] as T);
    return out;
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
    this.weights = undefined;
    this.head = 0;
    this.count = 0;
    this.weight = 0;
  }
}
