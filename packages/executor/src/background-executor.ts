import {
  assertFunction,
  assertInteger,
  CancellationSource,
  CancellationToken,
  CancelledError,
  cancelledError,
  describeValue,
  isBubbleUp,
  WaitQueue,
} from '@x/core';
import { ClosedError } from './closed-error.js';
import { CANCEL_ON_EXIT, FULFILLED, NEXT_TICK, REJECTED, RERAISE_ON_EXIT, Task } from './task.js';

/** Options of `new BackgroundExecutor(options)` and `BackgroundExecutor.run(body, options)`. */
export interface BackgroundExecutorOptions {
  /**
   * How many task functions may run at once (an integer from 1 and up, or `Infinity`, the
   * default). Tasks beyond it wait at the gate, in submission order, and start when a running
   * one settles.
   */
  readonly maxConcurrency?: number | undefined;
  /** Cancels every task's token when it fires; tasks that have not started never start. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

/** Options of {@link BackgroundExecutor.submit}. */
export interface SubmitOptions {
  /** The task's {@link Task.name}; defaults to the function's name, else `task #<n>`. */
  readonly name?: string | undefined;
  /** Cancel the task's token when the executor closes. Default `false`. */
  readonly cancelOnExit?: boolean | undefined;
  /**
   * Re-throw the task's failure from `close()` (the first one in submission order wins).
   * Default `true`. Cancellations and `BubbleUp` errors are never re-thrown.
   */
  readonly reraiseOnExit?: boolean | undefined;
  /** Start the function only after the current synchronous code has run. Default `false`. */
  readonly nextTick?: boolean | undefined;
}

/** The `submit` that {@link BackgroundExecutor.run} hands to its body. */
export type SubmitFunction = <T>(
  fn: (token: CancellationToken) => T | PromiseLike<T>,
  options?: SubmitOptions,
) => Task<Awaited<T>>;

const RESOLVED: Promise<void> = Promise.resolve();

/** Set in BackgroundExecutor's static block, where they can reach its private members. */
let fulfilled: (this: Task<unknown>, value: unknown) => void;
let rejected: (this: Task<unknown>, error: unknown) => void;

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

function assertFlag(name: string, value: unknown): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describeValue(value)}`);
  }
}

function assertOptions(value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(value)}`);
  }
}

function flagsOf(options: SubmitOptions): number {
  assertOptions(options);
  const { cancelOnExit, reraiseOnExit, nextTick } = options;
  assertFlag('cancelOnExit', cancelOnExit);
  assertFlag('reraiseOnExit', reraiseOnExit);
  assertFlag('nextTick', nextTick);
  return (
    (cancelOnExit === true ? CANCEL_ON_EXIT : 0) |
    (reraiseOnExit === false ? 0 : RERAISE_ON_EXIT) |
    (nextTick === true ? NEXT_TICK : 0)
  );
}

/**
 * Runs tasks in the background and settles them all on exit — LangGraph's background
 * executor for TypeScript.
 *
 * `submit(fn)` starts `fn(token)` at once (or later, see `maxConcurrency` and `nextTick`) and
 * returns a {@link Task}. `close()` (or `await using`) cancels the tasks flagged
 * `cancelOnExit`, waits for every task to settle, then throws the first failure, in
 * submission order, of a task flagged `reraiseOnExit`.
 *
 * **Cancellation**: the constructor's `signal` firing cancels every task's token; tasks that
 * have not started never start. Each task can be cancelled on its own with {@link Task.cancel}.
 *
 * **Fairness**: with `maxConcurrency`, tasks start in submission order; a slot freed by a
 * settling task goes straight to the longest-waiting task.
 *
 * **Errors**: a task's failure never becomes an unhandled rejection: it is delivered to
 * whoever awaits the task and, for `reraiseOnExit` tasks, thrown by `close()`.
 *
 * @example
 * ```ts
 * await using executor = new BackgroundExecutor({ maxConcurrency: 4 });
 * for (const url of urls) executor.submit((token) => fetch(url, { signal: token.signal }));
 * executor.submit(heartbeat, { cancelOnExit: true, reraiseOnExit: false });
 * // leaving the block cancels the heartbeat, awaits every fetch, throws the first failure
 * ```
 */
export class BackgroundExecutor implements AsyncDisposable {
  readonly #token: CancellationToken;
  readonly #registration: Disposable | undefined;
  readonly #max: number;
  #running = 0;
  #gate: WaitQueue<void> | undefined = undefined;
  /** Unsettled tasks, in submission order (an intrusive doubly linked list). */
  #head: Task<unknown> | null = null;
  #tail: Task<unknown> | null = null;
  #live = 0;
  /** How many unsettled tasks are flagged `cancelOnExit` (so close() skips the walk when none). */
  #liveCancelOnExit = 0;
  #seq = 0;
  #state = OPEN;
  #closed: Promise<void> | undefined = undefined;
  #drained: (() => void) | undefined = undefined;
  /** The failure `close()` will throw: that of the reraising task with the lowest `seq`. */
  #error: unknown = undefined;
  #errorSeq = -1;
  /** What `onCancel` callbacks threw while the executor cancelled tasks. */
  #callbackErrors: unknown[] | undefined = undefined;

  /**
   * Creates an executor.
   *
   * **Errors**: `RangeError`/`TypeError` for a `maxConcurrency` that is not an integer from 1
   * and up (or `Infinity`), `TypeError` for a `signal` that is neither an `AbortSignal` nor a
   * `CancellationToken`.
   */
  constructor(options: BackgroundExecutorOptions = {}) {
    assertOptions(options);
    const { maxConcurrency = Infinity, signal } = options;
    if (maxConcurrency !== Infinity) assertInteger('maxConcurrency', maxConcurrency, 1);
    this.#max = maxConcurrency;
    const token = CancellationToken.from(signal);
    this.#token = token;
    this.#registration =
      token === CancellationToken.none
        ? undefined
        : token.onCancel((reason) => {
            this.#cancelTasks(reason, false);
          });
  }

  /**
   * Runs `body(submit, token)` on a new executor, then closes it, and returns what the body
   * returned. `token` is cancelled when `options.signal` fires.
   *
   * **Errors**: when the body throws, that error is thrown — after every task has settled —
   * and no task's failure is; otherwise what `close()` throws.
   *
   * @example
   * ```ts
   * const report = await BackgroundExecutor.run(async (submit) => {
   *   submit(() => audit.log('export started'), { reraiseOnExit: false });
   *   return buildReport();
   * });
   * ```
   */
  static run<R>(
    body: (submit: SubmitFunction, token: CancellationToken) => R | PromiseLike<R>,
    options?: BackgroundExecutorOptions,
  ): Promise<Awaited<R>> {
    assertFunction('body', body);
    const executor = new BackgroundExecutor(options);
    return runBody(executor, body, CancellationToken.from(options?.signal));
  }

  /**
   * Starts `fn(token)` as a background task and returns the {@link Task}.
   *
   * `fn` starts synchronously, inside this call, unless `nextTick` is set (then it starts
   * after the current synchronous code) or `maxConcurrency` functions are already running
   * (then it waits at the gate). A task started later runs in the async context
   * (`AsyncLocalStorage`) of this call. Tasks submitted while the executor is closing are
   * accepted and awaited by `close()`; those flagged `cancelOnExit` are cancelled at once.
   *
   * **Cancellation**: `token` is cancelled by {@link Task.cancel}, by the executor's
   * `signal`, and by `close()` for tasks flagged `cancelOnExit`. A task cancelled before it
   * started never starts and rejects with `CancelledError`.
   *
   * **Fairness**: waiting tasks start in submission order.
   *
   * **Errors**: throws `ClosedError` once `close()` has finished, `TypeError` when `fn` is not
   * a function or an option has the wrong type. What `fn` throws never escapes here: it
   * rejects the task.
   */
  submit<T>(fn: (token: CancellationToken) => T | PromiseLike<T>, options?: SubmitOptions): Task<Awaited<T>> {
    assertFunction('fn', fn);
    let flags = RERAISE_ON_EXIT;
    let name: string | undefined;
    if (options !== undefined) {
      flags = flagsOf(options);
      name = options.name;
      if (name !== undefined && typeof name !== 'string') {
        throw new TypeError(`Expected \`name\` to be a string, got ${describeValue(name)}`);
      }
    }
    if (this.#state === CLOSED) throw new ClosedError();
    const source = new CancellationSource();
    const task = new Task(this, this.#seq++, flags, fn as (token: CancellationToken) => Awaited<T>, name, source);
    const tail = this.#tail;
    if (tail === null) this.#head = task;
    else {
      tail.next = task;
      task.prev = tail;
    }
    this.#tail = task;
    this.#live++;
    if ((flags & CANCEL_ON_EXIT) !== 0) this.#liveCancelOnExit++;
    if (this.#token.isCancelled) {
      this.#settle(task, REJECTED, cancelledError(this.#token.reason));
      source.cancel(this.#token.reason);
      task.done = RESOLVED;
    } else if (this.#state === CLOSING && (flags & CANCEL_ON_EXIT) !== 0) {
      const reason = closingReason();
      this.#settle(task, REJECTED, cancelledError(reason));
      source.cancel(reason);
      task.done = RESOLVED;
    } else if ((flags & NEXT_TICK) === 0 && this.#running < this.#max) {
      this.#running++;
      task.done = this.#start(task);
    } else {
      task.done = this.#startLater(task);
    }
    return task;
  }

  /**
   * Closes the executor: cancels the tasks flagged `cancelOnExit`, waits until every task has
   * settled (including tasks submitted meanwhile), then throws the first failure — in
   * submission order — of a task flagged `reraiseOnExit`. Calling it again returns the same
   * promise.
   *
   * **Cancellation**: cancellations and `BubbleUp` errors are never re-thrown.
   *
   * **Errors**: the failure described above; failing that, what `onCancel` callbacks threw
   * while the executor cancelled tasks (an `AggregateError` when several did). Do not await
   * `close()` from inside one of the executor's own tasks: it would wait for itself.
   */
  close(): Promise<void> {
    let closed = this.#closed;
    if (closed === undefined) {
      this.#state = CLOSING;
      this.#cancelTasks(closingReason(), true);
      closed = this.#finish();
      this.#closed = closed;
    }
    return closed;
  }

  /** Same as {@link BackgroundExecutor.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #finish(): Promise<void> {
    if (this.#live > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    } else {
      this.#state = CLOSED;
    }
    this.#registration?.[Symbol.dispose]();
    if (this.#errorSeq !== -1) throw this.#error;
    const errors = this.#callbackErrors;
    if (errors !== undefined) {
      throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'Cancellation callbacks threw');
    }
  }

  /** Cancels every unsettled task (or only the `cancelOnExit` ones), keeping callback errors. */
  #cancelTasks(reason: unknown, onlyCancelOnExit: boolean): void {
    if (onlyCancelOnExit && this.#liveCancelOnExit === 0) return;
    let task = this.#head;
    while (task !== null) {
      const next = task.next;
      if (!onlyCancelOnExit || (task.flags & CANCEL_ON_EXIT) !== 0) {
        try {
          task.source.cancel(reason);
        } catch (error) {
          (this.#callbackErrors ??= []).push(error);
        }
      }
      task = next;
    }
  }

  /** Starts a task that holds a slot. The promise resolves (never rejects) once it has settled. */
  #start(task: Task<unknown>): Promise<void> {
    let result: unknown;
    try {
      result = task.fn(task.source.token);
    } catch (error) {
      this.#release();
      this.#settle(task, REJECTED, error);
      return RESOLVED;
    }
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
      // A plain value: nothing to wait for.
      this.#release();
      this.#settle(task, FULFILLED, result);
      return RESOLVED;
    }
    return Promise.resolve(result).then(fulfilled.bind(task), rejected.bind(task));
  }

  /**
   * The slow path: waits for the next tick and/or a slot, then starts the task. An async
   * function, so the task starts in the async context of the `submit` call.
   */
  async #startLater(task: Task<unknown>): Promise<void> {
    const token = task.source.token;
    try {
      if ((task.flags & NEXT_TICK) !== 0) {
        await RESOLVED;
        token.throwIfCancelled();
      }
      if (this.#running < this.#max) this.#running++;
      else {
        await (this.#gate ??= new WaitQueue<void>()).wait(undefined, { signal: token });
        if (token.isCancelled) {
          // Woken, but cancelled before it could start: pass the slot on.
          this.#release();
          token.throwIfCancelled();
        }
      }
    } catch (error) {
      this.#settle(task, REJECTED, error);
      return;
    }
    // Holds a slot: run the function here rather than through #start, saving its closures.
    let value: unknown;
    try {
      value = await task.fn(token);
    } catch (error) {
      this.#release();
      this.#settle(task, REJECTED, error);
      return;
    }
    this.#release();
    this.#settle(task, FULFILLED, value);
  }

  static {
    // Reactions to a started task's promise, bound to the task: smaller than two closures.
    fulfilled = function (this: Task<unknown>, value: unknown): void {
      const owner = this.owner;
      owner.#release();
      owner.#settle(this, FULFILLED, value);
    };
    rejected = function (this: Task<unknown>, error: unknown): void {
      const owner = this.owner;
      owner.#release();
      owner.#settle(this, REJECTED, error);
    };
  }

  /** A task's slot is free: hand it straight to the next waiter, or give it back. */
  #release(): void {
    const gate = this.#gate;
    if (gate !== undefined && !gate.isEmpty) gate.wake(undefined);
    else this.#running--;
  }

  /** Records the outcome, unlinks the task and finishes a pending `close()` when it was the last. */
  #settle(task: Task<unknown>, state: number, outcome: unknown): void {
    task.state = state;
    task.outcome = outcome;
    const { prev, next } = task;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    task.prev = task.next = null;
    if ((task.flags & CANCEL_ON_EXIT) !== 0) this.#liveCancelOnExit--;
    if (
      task.state === REJECTED &&
      (task.flags & RERAISE_ON_EXIT) !== 0 &&
      (this.#errorSeq === -1 || task.seq < this.#errorSeq) &&
      !isBubbleUp(task.outcome)
    ) {
      this.#error = task.outcome;
      this.#errorSeq = task.seq;
    }
    if (--this.#live === 0 && this.#state === CLOSING) {
      this.#state = CLOSED;
      const drained = this.#drained;
      if (drained !== undefined) {
        this.#drained = undefined;
        drained();
      }
    }
  }
}

function closingReason(): CancelledError {
  return new CancelledError('The executor is closing');
}

async function runBody<R>(
  executor: BackgroundExecutor,
  body: (submit: SubmitFunction, token: CancellationToken) => R | PromiseLike<R>,
  token: CancellationToken,
): Promise<Awaited<R>> {
  const submit: SubmitFunction = (fn, options) => executor.submit(fn, options);
  let result: Awaited<R>;
  try {
    result = await body(submit, token);
  } catch (error) {
    try {
      await executor.close();
    } catch {
      // The body's own error is what the caller sees.
    }
    throw error;
  }
  await executor.close();
  return result;
}
