import type { CancellationSource, CancellationToken } from '@x/core';
import type { BackgroundExecutor } from './background-executor.js';

/** @internal The task has not settled yet. */
export const PENDING = 0;
/** @internal The task's function returned a value. */
export const FULFILLED = 1;
/** @internal The task's function threw, or the task was cancelled before it started. */
export const REJECTED = 2;

/** @internal Flag bits of a task (see `SubmitOptions`). */
export const CANCEL_ON_EXIT = 1;
/** @internal */
export const RERAISE_ON_EXIT = 2;
/** @internal */
export const NEXT_TICK = 4;

/**
 * A task running in a `BackgroundExecutor`: awaitable like a promise, with a name and a
 * `cancel()`.
 *
 * Awaiting a task is optional: whether or not anyone does, its failure never becomes an
 * unhandled rejection — the executor owns it and reports it from `close()` (when the task is
 * flagged `reraiseOnExit`).
 *
 * **Cancellation**: {@link Task.cancel} cancels the token the task's function received. A task
 * that has not started yet (waiting at the `maxConcurrency` gate, or for the next tick) never
 * starts and rejects with `CancelledError`; a running one settles with whatever its function
 * then returns or throws.
 *
 * @example
 * ```ts
 * const task = executor.submit(async (token) => fetchUser(id, token.signal), { name: 'user' });
 * task.name; // 'user'
 * const user = await task;
 * ```
 */
export class Task<T> implements PromiseLike<T> {
  /** @internal Neighbours in the executor's list of unsettled tasks (submission order). */
  prev: Task<unknown> | null = null;
  /** @internal */
  next: Task<unknown> | null = null;
  /** @internal The executor that runs the task. */
  readonly owner: BackgroundExecutor;
  /** @internal Submission number: the first error to re-throw is the lowest one. */
  readonly seq: number;
  /** @internal `CANCEL_ON_EXIT | RERAISE_ON_EXIT | NEXT_TICK`. */
  readonly flags: number;
  /** @internal Cancels the token the function receives. */
  readonly source: CancellationSource;
  /** @internal The function to run. */
  readonly fn: (token: CancellationToken) => T | PromiseLike<T>;
  /** @internal `PENDING`, `FULFILLED` or `REJECTED`. */
  state: number = PENDING;
  /** @internal What the function returned or threw. */
  outcome: unknown = undefined;
  /** @internal Resolves (never rejects) once the task has settled. */
  done!: Promise<void>;
  readonly #name: string | undefined;

  /** @internal Tasks come from `BackgroundExecutor#submit`. */
  constructor(
    owner: BackgroundExecutor,
    seq: number,
    flags: number,
    fn: (token: CancellationToken) => T | PromiseLike<T>,
    name: string | undefined,
    source: CancellationSource,
  ) {
    this.owner = owner;
    this.seq = seq;
    this.flags = flags;
    this.fn = fn;
    this.#name = name;
    this.source = source;
  }

  /** The `name` given to `submit`, else the function's own name, else `task #<n>`. */
  get name(): string {
    const name = this.#name ?? this.fn.name;
    return name !== '' ? name : `task #${this.seq + 1}`;
  }

  /**
   * Cancels the task's token with `reason` (default: a `CancelledError`). A no-op once the
   * task has settled.
   *
   * **Cancellation**: a task that has not started never starts and rejects with
   * `CancelledError` (`cause` = the reason); a running task's function decides how to end.
   *
   * **Errors**: re-throws what `onCancel` callbacks on the task's token threw.
   */
  cancel(reason?: unknown): void {
    if (this.state === PENDING) this.source.cancel(reason);
  }

  /** Attaches callbacks for the task's value or failure, like `Promise#then`. */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise().then(onfulfilled, onrejected);
  }

  /** Attaches a callback for the task's failure, like `Promise#catch`. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#promise().catch(onrejected);
  }

  /** Attaches a callback for when the task settles, like `Promise#finally`. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#promise().finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return 'Task';
  }

  /** The task as a promise, made on use: tasks nobody awaits cost no extra promise. */
  #promise(): Promise<T> {
    return this.done.then(() => settledValue(this));
  }
}

function settledValue<T>(task: Task<T>): T {
  if (task.state === FULFILLED) return task.outcome as T;
  throw task.outcome;
}
