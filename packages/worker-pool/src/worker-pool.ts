import {
  CancellationSource,
  CancellationToken,
  WaitQueue,
  abortReason,
  assertFunction,
  assertInteger,
  assertNumber,
  cancelledError,
  describeValue,
  isAborted,
} from '@x/core';
import { ClosedError } from './closed-error.js';
import { BLOCKED, ExtJob, Job, JobCancel, QUEUED, RUNNING, SETTLED, type JobFn } from './internal/job.js';
import { JobList } from './internal/job-list.js';
import { JobQueue } from './internal/job-queue.js';
import { Worker } from './internal/worker.js';

/** Options of {@link WorkerPool}'s constructor. */
export interface WorkerPoolOptions {
  /**
   * How many jobs run at once: an integer from 1 and up, or `Infinity`. Can be changed later
   * through {@link WorkerPool.concurrency}.
   */
  readonly concurrency: number;
  /**
   * How many accepted jobs may wait for a worker (an integer from 1 and up). When the queue is
   * full, `submit` waits for room. Unbounded when left out (or `Infinity`).
   */
  readonly maxQueue?: number | undefined;
  /** Firing it is `close({ drain: false })`; the running jobs' tokens get its reason. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

/** Options of {@link WorkerPool.submit}. */
export interface SubmitOptions {
  /**
   * Cancels the job: while it waits for room or for a worker, it is removed and never runs
   * (the promise rejects with `CancelledError`); while it runs, its token is cancelled.
   */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** Any finite number; higher runs first, FIFO within a priority. Default `0`. */
  readonly priority?: number | undefined;
}

/** Options of {@link WorkerPool.close}. */
export interface CloseOptions {
  /**
   * `true` (the default): run every accepted job, then resolve. `false`: reject the queued
   * jobs with `ClosedError`, cancel the running jobs' tokens, then wait for them.
   */
  readonly drain?: boolean | undefined;
}

/** Options of {@link WorkerPool.onIdle}. */
export interface IdleOptions {
  /** Stops waiting: the promise rejects with `CancelledError`. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;
type PoolState = typeof OPEN | typeof CLOSING | typeof CLOSED;

function checkConcurrency(value: unknown): number {
  if (value === Infinity) return value;
  assertInteger('concurrency', value, 1);
  return value;
}

function checkMaxQueue(value: unknown): number {
  if (value === undefined || value === Infinity) return Infinity;
  assertInteger('maxQueue', value, 1);
  return value;
}

// One shared promise executor instead of a closure per job. It runs synchronously inside
// `new Promise`, so handing the job over through a module variable is safe.
let forming: Job | null = null;
function attach(resolve: (value: unknown) => void): void {
  (forming as Job).settle = resolve;
}

/** A rejected promise for the caller of a job: the only place the pool rejects a caller's promise. */
function rejection(error: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a job may reject with anything; its caller gets exactly that
  return Promise.reject(error);
}

/**
 * N workers over a prioritised, optionally bounded, cancellable queue of jobs.
 *
 * Every job gets a `CancellationToken` as its argument; every promise `submit` returns
 * settles — with the job's outcome, with `CancelledError` when the caller's signal removed it
 * before it ran, or with {@link ClosedError} when the pool closed before it ran. A job that
 * throws synchronously, returns a plain value or rejects with a non-`Error` is handled like any
 * other; the pool keeps running.
 *
 * **Fairness**: higher `priority` starts first; FIFO within a priority. When the queue is
 * full, waiting submits are let in first come, first served (whatever their priority).
 *
 * **Cancellation**: the pool's `signal` firing is `close({ drain: false })`.
 *
 * @example
 * ```ts
 * await using pool = new WorkerPool({ concurrency: 4 });
 * const pages = await Promise.all(
 *   urls.map((url) => pool.submit((token) => fetch(url, { signal: token.signal }))),
 * );
 * ```
 */
export class WorkerPool implements AsyncDisposable {
  #concurrency: number;
  readonly #maxQueue: number;
  #running = 0;
  #paused = false;
  #state: PoolState = OPEN;
  /** Set once `close({ drain: false })` (or the signal) has rejected the queue and cancelled the running jobs. */
  #aborted = false;
  readonly #queue = new JobQueue();
  /** Submits waiting for room in a full queue, first come first served. */
  readonly #blocked = new JobList();
  readonly #idleWorkers: Worker[] = [];
  /** Cancelled by `close({ drain: false })`: the token of every job submitted without a signal. */
  readonly #source = new CancellationSource();
  #idleWaiters: WaitQueue<void> | undefined;
  #signalRegistration: Disposable | undefined;
  #closed: Promise<void> | undefined;
  #resolveClosed: ((value: Promise<never> | undefined) => void) | undefined;
  /** Whether cancellation callbacks threw when `close({ drain: false })` cancelled the running jobs. */
  #closeFailed = false;
  #closeError: unknown = undefined;

  /**
   * Creates an open pool; no worker runs until a job is submitted.
   *
   * **Cancellation**: a `signal` that has already fired gives a closed pool.
   *
   * **Errors**: `TypeError` / `RangeError` naming the option for a bad `concurrency`,
   * `maxQueue` or `signal`.
   */
  constructor(options: WorkerPoolOptions) {
    if (typeof options !== 'object' || (options as unknown) === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
    }
    this.#concurrency = checkConcurrency(options.concurrency);
    this.#maxQueue = checkMaxQueue(options.maxQueue);
    if (options.signal !== undefined) {
      const token = CancellationToken.from(options.signal);
      if (token.isCancelled) this.#close(false, token.reason, true);
      else {
        this.#signalRegistration = token.onCancel((reason) => {
          this.#signalRegistration = undefined;
          this.#close(false, reason, true);
        });
      }
    }
  }

  /** How many accepted jobs wait for a worker (not counting submits waiting for room). */
  get size(): number {
    return this.#queue.size;
  }

  /** How many jobs have started and not settled yet. */
  get running(): number {
    return this.#running;
  }

  /** Whether {@link WorkerPool.pause} stopped the pool from starting jobs. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /**
   * How many jobs may run at once. Raising it starts queued jobs at once; lowering it lets
   * the running jobs finish and starts no more until fewer than the new limit run.
   *
   * **Errors**: `TypeError` / `RangeError` unless an integer from 1 and up, or `Infinity`.
   */
  get concurrency(): number {
    return this.#concurrency;
  }

  set concurrency(value: number) {
    this.#concurrency = checkConcurrency(value);
    if (this.#idleWorkers.length > value) this.#idleWorkers.length = value;
    this.#pump();
  }

  /**
   * Runs `job(token)` on a free worker — at once when one is free, otherwise after the jobs
   * queued before it at its priority or higher — and settles with its outcome.
   *
   * A job queued now runs later in the async context (`AsyncLocalStorage`) of this call.
   * A job submitted without a `signal` gets the pool's shared token (cancelled only by
   * `close({ drain: false })` or the pool's signal): dispose what you register on it.
   *
   * **Fairness**: higher `priority` first, FIFO within a priority. When `maxQueue` is reached,
   * this call waits for room (backpressure); waiting calls get room in the order they came.
   *
   * **Cancellation**: when `signal` fires before the job started (waiting for room or for a
   * worker), the job is removed, never runs, and the promise rejects with `CancelledError`
   * (`cause` = the reason). Once it runs, its token is cancelled and the promise settles with
   * whatever the job then settles with.
   *
   * **Errors**: the job's own error, unchanged (also a non-`Error` value, or a synchronous
   * throw); {@link ClosedError} when the pool closed before the job started;
   * `TypeError` / `RangeError` (thrown at once) for a non-function `job`, a non-finite
   * `priority` or a bad `signal`.
   *
   * @example
   * ```ts
   * const user = await pool.submit((token) => loadUser(id, token.signal), { priority: 1, signal });
   * ```
   */
  submit<T>(job: (token: CancellationToken) => T | PromiseLike<T>, options?: SubmitOptions): Promise<T> {
    assertFunction('job', job);
    let signal: AbortSignal | CancellationToken | undefined;
    let priority = 0;
    if (options !== undefined) {
      signal = options.signal;
      const value = options.priority;
      if (value !== undefined) {
        assertNumber('priority', value);
        priority = value;
      }
    }
    if (this.#state !== OPEN) {
      if (signal !== undefined) CancellationToken.from(signal);
      return rejection(new ClosedError());
    }
    if (signal === undefined && this.#queue.size === 0 && !this.#paused && this.#running < this.#concurrency) {
      // Fast path: a free worker and nothing queued. No job object, no AbortSignal, and the
      // job runs now, in the caller's context.
      const worker = this.#idleWorkers.pop() ?? this.#newWorker();
      this.#running++;
      let result: unknown;
      try {
        result = job(this.#source.token);
      } catch (error) {
        result = rejection(error);
      }
      return Promise.resolve(result).then(worker.fulfilled, worker.rejected) as Promise<T>;
    }
    return this.#enqueue(job, signal, priority) as Promise<T>;
  }

  /**
   * Resolves when the pool is idle: nothing queued and nothing running — at once if it is
   * idle now. A paused pool with queued jobs is not idle.
   *
   * **Cancellation**: when `signal` fires first, rejects with `CancelledError`.
   */
  onIdle(options?: IdleOptions): Promise<void> {
    const signal = options?.signal;
    if (signal !== undefined && isAborted(signal)) return rejection(cancelledError(abortReason(signal)));
    if (this.#running === 0 && this.#queue.size === 0) return Promise.resolve();
    const waiters = (this.#idleWaiters ??= new WaitQueue<void>());
    return waiters.wait(undefined, { signal });
  }

  /**
   * Stops starting jobs; the running ones go on. Submits are still accepted (and queued).
   * Ignored once the pool is closing: a draining close runs everything accepted.
   */
  pause(): void {
    if (this.#state === OPEN) this.#paused = true;
  }

  /** Starts queued jobs again after {@link WorkerPool.pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pump();
  }

  /**
   * Stops accepting jobs and resolves once every accepted job has settled. Idempotent: every
   * call returns a promise of the same end; `drain: false` after a draining close turns it
   * into an aborting one.
   *
   * `drain: true` (the default) resumes a paused pool and runs everything accepted.
   * `drain: false` rejects every queued job with {@link ClosedError} (nothing starts after
   * this call) and cancels the running jobs' tokens, then waits for them.
   *
   * **Errors**: either way, submits waiting for room and every later `submit` reject with
   * {@link ClosedError}. If cancellation callbacks registered on the jobs' tokens throw, the
   * promise rejects with that error (an `AggregateError` for several) once all settled.
   */
  close(options?: CloseOptions): Promise<void> {
    let drain = true;
    if (options !== undefined) {
      const value = options.drain;
      if (value !== undefined) {
        if (typeof value !== 'boolean') {
          throw new TypeError(`Expected \`drain\` to be a boolean, got ${describeValue(value)}`);
        }
        drain = value;
      }
    }
    this.#close(drain, undefined, false);
    return this.#whenClosed();
  }

  /** `close()`: drains the pool, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #enqueue(fn: JobFn, signal: AbortSignal | CancellationToken | undefined, priority: number): Promise<unknown> {
    let token: CancellationToken | undefined;
    if (signal !== undefined) {
      token = CancellationToken.from(signal);
      if (token.isCancelled) return rejection(cancelledError(token.reason));
    }
    // The job captures the async context of this call as it is made (it is its snapshot).
    let job: Job;
    let cancel: JobCancel | undefined;
    if (token !== undefined) {
      cancel = new JobCancel();
      job = new ExtJob(fn, priority, cancel);
      const registered = job;
      cancel.registration = token.onCancel((reason) => {
        this.#cancel(registered, reason);
      });
    } else job = priority === 0 ? new Job(fn) : new ExtJob(fn, priority, undefined);
    forming = job;
    const promise = new Promise<unknown>(attach);
    forming = null;
    if (this.#queue.size === 0 && !this.#paused && this.#running < this.#concurrency) {
      // It starts now, in the caller's context already.
      this.#run(this.#idleWorkers.pop() ?? this.#newWorker(), job, false);
    } else if (this.#queue.size >= this.#maxQueue) {
      this.#blocked.push(job);
    } else {
      if (cancel !== undefined) cancel.state = QUEUED;
      this.#queue.push(job);
    }
    return promise;
  }

  #newWorker(): Worker {
    const worker = new Worker();
    worker.fulfilled = (value) => this.#finish(worker, value, true);
    worker.rejected = (error) => this.#finish(worker, error, false);
    return worker;
  }

  /** Starts `job` on `worker`; `inContext`: in the async context of its `submit` call. */
  #run(worker: Worker, job: Job, inContext: boolean): void {
    this.#running++;
    worker.job = job;
    let token = this.#source.token;
    const cancel = job.cancel;
    if (cancel !== undefined) {
      cancel.state = RUNNING;
      const source = new CancellationSource(token);
      cancel.source = source;
      token = source.token;
    }
    let result: unknown;
    try {
      if (inContext) result = job.runInContext(token);
      else {
        const fn = job.fn;
        result = fn(token);
      }
    } catch (error) {
      result = rejection(error);
    }
    // The handlers of a queued job never throw: this promise always fulfils.
    void Promise.resolve(result).then(worker.fulfilled, worker.rejected);
  }

  /** A job ended: settle its caller, then give the worker the next job (or park it). */
  #finish(worker: Worker, value: unknown, ok: boolean): unknown {
    const job = worker.job;
    worker.job = null;
    this.#running--;
    if (job !== null) {
      const cancel = job.cancel;
      if (cancel !== undefined) {
        cancel.state = SETTLED;
        cancel.registration?.[Symbol.dispose]();
        cancel.registration = undefined;
        cancel.source?.[Symbol.dispose]();
        cancel.source = undefined;
      }
      job.settle(ok ? value : rejection(value));
    }
    this.#next(worker);
    if (job !== null) return undefined;
    return ok ? value : rejection(value);
  }

  #next(worker: Worker): void {
    if (!this.#paused && this.#running < this.#concurrency) {
      const job = this.#queue.shift();
      if (job !== null) {
        this.#admit();
        this.#run(worker, job, true);
        return;
      }
    }
    if (this.#idleWorkers.length < this.#concurrency) this.#idleWorkers.push(worker);
    this.#checkIdle();
  }

  /** Starts queued jobs while workers are free. */
  #pump(): void {
    while (!this.#paused && this.#running < this.#concurrency) {
      const job = this.#queue.shift();
      if (job === null) break;
      this.#admit();
      this.#run(this.#idleWorkers.pop() ?? this.#newWorker(), job, true);
    }
  }

  /** Lets submits waiting for room into the queue while it has room. */
  #admit(): void {
    while (this.#queue.size < this.#maxQueue) {
      const job = this.#blocked.shift();
      if (job === null) return;
      if (job.cancel !== undefined) job.cancel.state = QUEUED;
      this.#queue.push(job);
    }
  }

  /** The caller's signal fired. */
  #cancel(job: Job, reason: unknown): void {
    const cancel = job.cancel as JobCancel;
    cancel.registration = undefined;
    const state = cancel.state;
    if (state === RUNNING) {
      cancel.source?.cancel(reason);
      return;
    }
    if (state === SETTLED) return;
    if (state === BLOCKED) this.#blocked.remove(job);
    else this.#queue.remove(job);
    cancel.state = SETTLED;
    job.settle(rejection(cancelledError(reason)));
    if (state === QUEUED) {
      this.#admit();
      this.#checkIdle();
    }
  }

  /** Rejects a job that never started, and drops what it holds. */
  #reject(job: Job, error: ClosedError): void {
    const cancel = job.cancel;
    if (cancel !== undefined) {
      cancel.state = SETTLED;
      cancel.registration?.[Symbol.dispose]();
      cancel.registration = undefined;
    }
    job.settle(rejection(error));
  }

  #close(drain: boolean, reason: unknown, fromSignal: boolean): void {
    const options = fromSignal ? { cause: reason } : undefined;
    if (this.#state === OPEN) {
      this.#state = CLOSING;
      const error = new ClosedError('The worker pool was closed while the job waited for room in the queue', options);
      let job: Job | null;
      while ((job = this.#blocked.shift()) !== null) this.#reject(job, error);
    }
    if (drain) {
      if (!this.#aborted) this.resume();
    } else if (!this.#aborted) {
      this.#aborted = true;
      const error = new ClosedError('The worker pool was closed before the job started', options);
      let job: Job | null;
      while ((job = this.#queue.shift()) !== null) this.#reject(job, error);
      try {
        this.#source.cancel(fromSignal ? reason : new ClosedError('The worker pool was closed', options));
      } catch (thrown) {
        // A job's own cancellation callback threw: `close()` reports it once everything settled.
        this.#closeFailed = true;
        this.#closeError = thrown;
      }
    }
    this.#checkIdle();
  }

  /** How `close()` ends: fulfilled, or rejected with what cancellation callbacks threw. */
  #closeOutcome(): Promise<never> | undefined {
    return this.#closeFailed ? rejection(this.#closeError) : undefined;
  }

  /** Wakes `onIdle` waiters and finishes closing once nothing is queued or running. */
  #checkIdle(): void {
    if (this.#running !== 0 || this.#queue.size !== 0) return;
    const waiters = this.#idleWaiters;
    if (waiters !== undefined) while (!waiters.isEmpty) waiters.wake();
    if (this.#state !== CLOSING) return;
    this.#state = CLOSED;
    this.#signalRegistration?.[Symbol.dispose]();
    this.#signalRegistration = undefined;
    const resolve = this.#resolveClosed;
    this.#resolveClosed = undefined;
    if (resolve !== undefined) resolve(this.#closeOutcome());
  }

  #whenClosed(): Promise<void> {
    if (this.#state === CLOSED) return this.#closed ?? this.#closeOutcome() ?? Promise.resolve();
    return (this.#closed ??= new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    }));
  }
}
