// A queued job and the intrusive lists it lives in. A job is in at most one list at a time:
// the pool's "waiting for room" FIFO, one priority bucket of the job queue, or none (running,
// settled). Kept small on purpose: a queued job costs one of these, its caller's promise and
// its async-context snapshot.
import type { AsyncContextSnapshot, CancellationSource, CancellationToken } from '@x/core';

/** Waiting for room in a full queue: not accepted yet. */
export const BLOCKED = 0;
/** Accepted, waiting for a worker. */
export const QUEUED = 1;
export const RUNNING = 2;
export const SETTLED = 3;
/** What a job is doing; only tracked for jobs whose caller passed a `signal`. */
export type JobState = typeof BLOCKED | typeof QUEUED | typeof RUNNING | typeof SETTLED;

/** The user's function, as the pool calls it. */
export type JobFn = (token: CancellationToken) => unknown;

/** Settles the caller's promise: a value fulfils it, a rejected promise rejects it. */
export type Settle = (value: unknown) => void;

/** The extra state of a job whose caller passed a `signal` (the fast path has none). */
export class JobCancel {
  state: JobState = BLOCKED;
  /** Our registration on the caller's token, until the job settles. */
  registration: Disposable | undefined = undefined;
  /** The job's own token source while it runs (a child of the pool's token). */
  source: CancellationSource | undefined = undefined;
}

/** One job that could not start at once: a node of an intrusive doubly linked list. */
export class Job {
  prev: Job | null = null;
  next: Job | null = null;
  readonly fn: JobFn;
  readonly priority: number;
  /**
   * Settles the caller's promise. Only the resolve function is kept (not the reject one):
   * a failure resolves it with a rejected promise.
   */
  settle: Settle = settleNothing;
  context: AsyncContextSnapshot | undefined = undefined;
  cancel: JobCancel | undefined = undefined;

  constructor(fn: JobFn, priority: number) {
    this.fn = fn;
    this.priority = priority;
  }
}

function settleNothing(): void {
  // Replaced by the caller's resolve function as soon as the job is made.
}

/** A FIFO of jobs (intrusive: O(1) push, shift and removal). */
export class JobList {
  head: Job | null = null;
  tail: Job | null = null;
  size = 0;

  push(job: Job): void {
    const tail = this.tail;
    if (tail === null) this.head = job;
    else {
      tail.next = job;
      job.prev = tail;
    }
    this.tail = job;
    this.size++;
  }

  shift(): Job | null {
    const job = this.head;
    if (job !== null) this.remove(job);
    return job;
  }

  remove(job: Job): void {
    const { prev, next } = job;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    job.prev = job.next = null;
    this.size--;
  }
}

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
