import type { Job } from './job.js';
import { JobList } from './job-list.js';

/** The FIFO of one priority, and its place in the queue's heap. */
class Bucket extends JobList {
  readonly priority: number;
  index = 0;

  constructor(priority: number) {
    super();
    this.priority = priority;
  }
}

/**
 * Jobs by priority, higher first, FIFO within a priority: one FIFO per distinct priority,
 * the non-empty FIFOs in a binary max-heap. With k distinct priorities queued, push and shift
 * cost O(1) when the priority already has jobs queued and O(log k) otherwise; removal is O(1)
 * (O(log k) when it empties its FIFO).
 */
export class JobQueue {
  size = 0;
  readonly #buckets = new Map<number, Bucket>();
  readonly #heap: Bucket[] = [];

  push(job: Job): void {
    let bucket = this.#buckets.get(job.priority);
    if (bucket === undefined) {
      bucket = new Bucket(job.priority);
      this.#buckets.set(job.priority, bucket);
      bucket.index = this.#heap.length;
      this.#heap.push(bucket);
      this.#up(bucket.index);
    }
    bucket.push(job);
    this.size++;
  }

  /** The first job of the highest priority, or `null` when the queue is empty. */
  shift(): Job | null {
    const top = this.#heap[0];
    if (top === undefined) return null;
    const job = top.shift();
    this.size--;
    if (top.size === 0) this.#delete(top);
    return job;
  }

  /** Unlinks a queued job. */
  remove(job: Job): void {
    const bucket = this.#buckets.get(job.priority) as Bucket;
    bucket.remove(job);
    this.size--;
    if (bucket.size === 0) this.#delete(bucket);
  }

  #delete(bucket: Bucket): void {
    this.#buckets.delete(bucket.priority);
    const heap = this.#heap;
    const last = heap.pop() as Bucket;
    if (last === bucket) return;
    const index = bucket.index;
    heap[index] = last;
    last.index = index;
    this.#up(index);
    this.#down(last.index);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const bucket = heap[index] as Bucket;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Bucket;
      if (parent.priority >= bucket.priority) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = bucket;
    bucket.index = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const bucket = heap[index] as Bucket;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && (heap[right] as Bucket).priority > (heap[child] as Bucket).priority) child = right;
      const larger = heap[child] as Bucket;
      if (larger.priority <= bucket.priority) break;
      heap[index] = larger;
      larger.index = index;
      index = child;
    }
    heap[index] = bucket;
    bucket.index = index;
  }
}
