// A job that could not start at once. It is in at most one list at a time: the pool's
// "waiting for room" FIFO, one priority bucket of the job queue, or none (running, settled).
// Kept small on purpose: a queued job costs one of these and its caller's promise (with that
// promise's resolve function). The job *is* its async-context snapshot (an `AsyncResource`
// on Node), and the common job (no signal, priority 0) has no field for a priority or a
// cancellation state: those live on the prototype.
import { asyncContextBase, settleAsyncContextLayout, type CancellationSource, type CancellationToken } from '@x/core';

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
  /** Where the job is in the list that queues it (see JobList), so that it can be taken out. */
  position = 0;
}

/**
 * One job that could not start at once: an entry of a `JobList` ring, and the
 * snapshot of the async context (`AsyncLocalStorage` values) of its `submit` call, taken when
 * it is made — the same as `captureAsyncContext()`, without a second object per job (an
 * `AsyncResource` on Node, a plain call elsewhere: see `asyncContextBase` in `@x/core`).
 */
export class Job extends asyncContextBase() {
  // Fields are assigned in the constructors, never declared with class-field syntax: V8 gives
  // an instance of a class with field declarations 16 more bytes (72 instead of 56 here).
  declare readonly fn: JobFn;
  /**
   * Settles the caller's promise. Only the resolve function is kept (not the reject one):
   * a failure resolves it with a rejected promise.
   */
  declare settle: Settle;
  /** Any finite number; `0` (from the prototype) unless this is an {@link ExtJob}. */
  declare readonly priority: number;
  /** `undefined` (from the prototype) unless this is an {@link ExtJob} with a signal. */
  declare readonly cancel: JobCancel | undefined;

  constructor(fn: JobFn) {
    super('x.task');
    this.fn = fn;
    this.settle = settleNothing;
  }

  /** Calls the job's function with `token` in the async context of its `submit` call. */
  runInContext(token: CancellationToken): unknown {
    return this.runInAsyncScope(this.fn, undefined, token);
  }
}

// Writable, so that a subclass field (or an assignment) shadows them on the instance.
Object.defineProperties(Job.prototype, {
  priority: { value: 0, writable: true },
  cancel: { value: undefined, writable: true },
});

/** A job with a priority other than `0`, or whose caller passed a `signal`. */
export class ExtJob extends Job {
  // Own fields (assigned below, even when `undefined`), shadowing the prototype's defaults:
  // one shape for every ExtJob.
  declare readonly priority: number;
  declare readonly cancel: JobCancel | undefined;

  constructor(fn: JobFn, priority: number, cancel: JobCancel | undefined) {
    super(fn);
    this.priority = priority;
    this.cancel = cancel;
  }
}

function settleNothing(): void {
  // Replaced by the caller's resolve function as soon as the job is made.
}

// Once per class: keeps every job's async ids inline (32 bytes less per queued job).
settleAsyncContextLayout(new Job(settleNothing));
settleAsyncContextLayout(new ExtJob(settleNothing, 1, undefined));
