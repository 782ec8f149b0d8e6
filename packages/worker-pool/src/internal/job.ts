// A job that could not start at once. It is in at most one list at a time: the pool's
// "waiting for room" FIFO, one priority bucket of the job queue, or none (running, settled).
// Kept small on purpose: a queued job costs one of these, its caller's promise and its
// async-context snapshot.
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
