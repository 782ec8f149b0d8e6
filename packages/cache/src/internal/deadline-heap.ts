// A binary min-heap of entries ordered by the time they expire. It lets the cache
// drop every expired entry in O(k log n) for the k that expired, without a timer and without
// scanning: `size` stays exact and expired entries never count as LRU evictions.

/** What the heap orders: `expiresAt` (ms since the epoch) and the item's own slot in the heap. */
export interface DeadlineItem {
  expiresAt: number;
  heapIndex: number;
}

/** @internal A min-heap on `expiresAt` whose items know their index, for O(log n) removal. */
export class DeadlineHeap<T extends DeadlineItem> {
  readonly #items: T[] = [];

  /** The item that expires first, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    item.heapIndex = items.length;
    items.push(item);
    this.#up(item.heapIndex);
  }

  /** Removes `item` (a no-op when it is not in the heap). */
  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0) return;
    item.heapIndex = -1;
    const items = this.#items;
    const last = items.pop() as T;
    if (index === items.length) return;
    items[index] = last;
    last.heapIndex = index;
    this.#down(index);
    this.#up(last.heapIndex);
  }

  /** Restores the order after `item.expiresAt` changed. */
  update(item: T): void {
    this.#down(item.heapIndex);
    this.#up(item.heapIndex);
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(index: number): void {
    const items = this.#items;
    const item = items[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (parent.expiresAt <= item.expiresAt) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #down(index: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[index] as T;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && (items[right] as T).expiresAt < (items[child] as T).expiresAt) child = right;
      const smallest = items[child] as T;
      if (item.expiresAt <= smallest.expiresAt) break;
      items[index] = smallest;
      smallest.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
