import {
  assertFunction,
  assertInteger,
  BubbleUp,
  CancellationSource,
  CancellationToken,
  CancelledError,
  captureAsyncContext,
  type AsyncContextSnapshot,
  cancelledError,
  describeValue,
  isCancellation,
  WaitQueue,
} from '@x/core';
import { ClosedError } from './closed-error.js';
import { PROMISED, REJECTED, TaskHandle, WAITING, type Task } from './task.js';
import { TaskGroupError } from './task-group-error.js';

/** Options of `new TaskGroup(options)` and `TaskGroup.run(body, options)`. */
export interface TaskGroupOptions {
  /** Cancels the group: every task's token is cancelled and the group throws `CancelledError`. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** At most this many tasks run at once (an integer from 1, or `Infinity`, the default). */
  readonly maxConcurrency?: number | undefined;
}

/** Options of {@link TaskGroup.spawn}. */
export interface SpawnOptions {
  /** A name for logs and debugging; it becomes the task's `name`. */
  readonly name?: string | undefined;
}

/** The function a group runs as its body: it gets the group and the group's token. */
export type TaskGroupBody<T> = (group: TaskGroup, token: CancellationToken) => T | PromiseLike<T>;

/**
 * @internal Cancels every task of a group without making it fail: the group then reports as if
 * nothing had been cancelled (used by `race` and `any` once they have a winner).
 */
export let haltGroup: (group: TaskGroup, reason: CancelledError) => void;

/** Group states. */
const OPEN = 0;
const JOINING = 1;
const CLOSED = 2;

type TaskFn = (token: CancellationToken) => unknown;

/** A task waiting for a `maxConcurrency` slot: the data of its wait-queue node. */
class Queued {
  readonly task: TaskHandle<unknown>;
  readonly fn: TaskFn;
  readonly context: AsyncContextSnapshot;
  /** Woken with a slot (rather than to be refused because the group stopped). */
  held = false;

  constructor(task: TaskHandle<unknown>, fn: TaskFn, context: AsyncContextSnapshot) {
    this.task = task;
    this.fn = fn;
    this.context = context;
  }
}

/**
 * A scope that owns concurrent tasks: nothing it started outlives it, and it reports only once
 * every task has settled — after asyncio's `TaskGroup` and Trio's nurseries.
 *
 * Use {@link TaskGroup.run} (the body's own failure counts), or `await using tg = new TaskGroup()`
 * (leaving the block waits for every task and throws what the group reports; an error thrown
 * by the block itself cannot be seen by the group, so its tasks are not cancelled by it).
 *
 * **Cancellation**: the first failure cancels the group's token, which every task and the body
 * get; tasks spawned after that never start. The group's `signal` does the
 * same, and the group then throws `CancelledError` — unless a task really failed.
 *
 * **Fairness**: with `maxConcurrency`, tasks beyond the limit wait in FIFO order; a finishing
 * task hands its slot straight to the oldest waiter. A waiting task that is cancelled never starts.
 *
 * **Errors**: after every task has settled, the group throws
 * - the first `BubbleUp` that is not a cancellation (from a task or the body), unchanged;
 * - else a {@link TaskGroupError} with every failure in the order they happened (the body's
 *   throw included; cancellations left out);
 * - else `CancelledError` when its `signal` fired, or the body's own cancellation.
 *
 * @example
 * ```ts
 * const [user, posts] = await TaskGroup.run(async (tg) => {
 *   const user = tg.spawn((token) => fetchUser(id, token.signal));
 *   const posts = tg.spawn((token) => fetchPosts(id, token.signal));
 *   return [await user, await posts];
 * });
 * ```
 */
export class TaskGroup implements AsyncDisposable {
  static {
    haltGroup = (group, reason) => {
      group.#stop(reason, 'The task group was halted');
    };
  }

  readonly #source: CancellationSource;
  readonly #token: CancellationToken;
  readonly #max: number;
  #state = OPEN;
  /** Tasks spawned and not yet settled (waiting ones included). */
  #pending = 0;
  /** Slots in use: tasks whose function has been called and has not settled. */
  #running = 0;
  #queue: WaitQueue<Queued, Queued> | undefined = undefined;
  /** What tasks that never start reject with, made once. */
  #refusal: CancelledError | undefined = undefined;
  /** The group's token has been cancelled (a failure, a bubble-up, the signal, the body). */
  #stopping = false;
  #failures: unknown[] | undefined = undefined;
  #bubble: unknown = undefined;
  #hasBubble = false;
  #signalled = false;
  #signalReason: unknown = undefined;
  #bodyCancellation: unknown = undefined;
  #hasBodyCancellation = false;
  /** Error objects already recorded, so that one failure seen twice (a task's, re-thrown by
   * the body that awaited it) is reported once. */
  #seen: Set<object> | undefined = undefined;
  #external: Disposable | undefined = undefined;
  #joined: (() => void) | undefined = undefined;
  #outcome: Promise<void> | undefined = undefined;

  /**
   * Opens a group; use it with `await using` (or call `[Symbol.asyncDispose]()` yourself).
   *
   * **Errors**: `TypeError` / `RangeError` for a bad `signal` or `maxConcurrency`.
   */
  constructor(options?: TaskGroupOptions) {
    let max = Infinity;
    let token = CancellationToken.none;
    if (options !== undefined) {
      const limit = options.maxConcurrency;
      if (limit !== undefined && limit !== Infinity) assertInteger('maxConcurrency', limit, 1);
      if (limit !== undefined) max = limit;
      if (options.signal !== undefined) token = CancellationToken.from(options.signal);
    }
    this.#max = max;
    this.#source = new CancellationSource();
    this.#token = this.#source.token;
    if (token !== CancellationToken.none) {
      // A callback rather than a parent link: tasks see a `CancelledError` as their token's
      // reason (cause: the signal's reason), so an aborted fetch is never mistaken for a failure.
      this.#external = token.onCancel((reason) => {
        this.#signalled = true;
        this.#signalReason = reason;
        this.#stop(reason, 'The task group was cancelled');
      });
    }
  }

  /**
   * Runs `body(group, token)` in a new group, waits for every task it spawned, then returns the
   * body's value or throws what the group reports.
   *
   * **Cancellation**: an already-cancelled `signal` rejects with `CancelledError` and calls
   * nothing. The body's `token` is cancelled when the group starts failing.
   *
   * **Errors**: see {@link TaskGroup}. The body's throw counts as the first failure (a
   * `BubbleUp` passes through unchanged). `TypeError` / `RangeError` for bad arguments, thrown
   * synchronously.
   *
   * @example
   * ```ts
   * await TaskGroup.run(async (tg) => {
   *   for (const url of urls) tg.spawn((token) => crawl(url, token));
   * }, { maxConcurrency: 8, signal });
   * ```
   */
  static run<T>(body: TaskGroupBody<T>, options?: TaskGroupOptions): Promise<T> {
    assertFunction('body', body);
    const group = new TaskGroup(options);
    if (group.#signalled) {
      group.#close();
      return Promise.reject(cancelledError(group.#signalReason));
    }
    return group.#runBody(body);
  }

  /** The group's token: cancelled when the group starts failing or its `signal` fires. */
  get token(): CancellationToken {
    return this.#source.token;
  }

  /**
   * Starts `fn(token)` as a task of the group: synchronously, inside this call, unless
   * `maxConcurrency` tasks already run (then it waits for a slot).
   *
   * **Cancellation**: `token` is the group's token, cancelled when the group fails or is
   * cancelled. On a group that is already failing or cancelled, `fn` is never called and the
   * task rejects with `CancelledError`; a task waiting for a slot when that happens never starts.
   *
   * **Fairness**: beyond `maxConcurrency`, tasks start in the order they were spawned.
   *
   * **Errors**: throws {@link ClosedError} once the group has finished, `TypeError` for a bad
   * `fn` or `name`. What `fn` throws (even synchronously) fails the group, not this call.
   */
  spawn<T>(fn: (token: CancellationToken) => T | PromiseLike<T>, options?: SpawnOptions): Task<T> {
    if (typeof fn !== 'function') assertFunction('fn', fn);
    let name: string | undefined;
    if (options !== undefined) {
      name = options.name;
      if (name !== undefined && typeof name !== 'string') {
        throw new TypeError(`Expected \`name\` to be a string, got ${describeValue(name)}`);
      }
    }
    if (this.#state === CLOSED) throw new ClosedError();
    if (this.#stopping) {
      return new TaskHandle<T>(name, REJECTED, (this.#refusal ??= cancelledError(this.#source.token.reason)));
    }
    this.#pending++;
    if (this.#running >= this.#max) {
      const task = new TaskHandle<T>(name, WAITING, undefined);
      this.#enqueue(task as TaskHandle<unknown>, fn);
      return task;
    }
    // The fast path, kept flat: it runs once per task, often before it is optimised.
    this.#running++;
    let result: unknown;
    try {
      result = fn(this.#token);
    } catch (error) {
      this.#settled(false, error, true);
      return new TaskHandle<T>(name, REJECTED, error);
    }
    if (result instanceof Promise) {
      // The same two handlers for every task: a task costs no closure.
      void result.then(this.#fulfilled, this.#rejected);
      return new TaskHandle<T>(name, PROMISED, result);
    }
    const task = new TaskHandle<T>(name, WAITING, undefined);
    this.#adopt(task as TaskHandle<unknown>, result);
    return task;
  }

  /**
   * Waits for every task to settle, then closes the group and throws what it reports (nothing
   * when all went well). What `await using` calls; calling it again returns the same outcome.
   *
   * **Errors**: see {@link TaskGroup}.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return (this.#outcome ??= this.#dispose());
  }

  async #dispose(): Promise<void> {
    await this.#join();
    this.#report();
  }

  async #runBody<T>(body: TaskGroupBody<T>): Promise<T> {
    let value: T | undefined;
    try {
      value = await body(this, this.#source.token);
    } catch (error) {
      this.#bodyFailed(error);
    }
    await this.#join();
    this.#report();
    return value as T;
  }

  #bodyFailed(error: unknown): void {
    if (isCancellation(error)) {
      if (!this.#hasBodyCancellation) {
        this.#hasBodyCancellation = true;
        this.#bodyCancellation = error;
      }
      this.#stop(error, 'The task group body was cancelled');
    } else {
      this.#failed(error);
    }
  }

  /** Waits until every task has settled; spawning stays allowed meanwhile. */
  #join(): Promise<void> | undefined {
    this.#state = JOINING;
    if (this.#pending === 0) return undefined;
    return new Promise<void>((resolve) => {
      this.#joined = resolve;
    });
  }

  /** Closes the group and throws what the rules say. */
  #report(): void {
    this.#close();
    if (this.#hasBubble) throw this.#bubble;
    const failures = this.#failures;
    if (failures !== undefined) throw new TaskGroupError(failures);
    if (this.#signalled) throw cancelledError(this.#signalReason);
    if (this.#hasBodyCancellation) throw this.#bodyCancellation;
  }

  #close(): void {
    this.#state = CLOSED;
    const external = this.#external;
    if (external !== undefined) {
      this.#external = undefined;
      external[Symbol.dispose]();
    }
  }

  /** Calls `fn` for a task that waited for its slot. */
  #execute(task: TaskHandle<unknown>, fn: TaskFn): void {
    let result: unknown;
    try {
      result = fn(this.#token);
    } catch (error) {
      task.settle(false, error);
      this.#settled(false, error, true);
      return;
    }
    this.#adopt(task, result);
  }

  /** Settles `task` with what its function returned: a promise, another thenable or a value. */
  #adopt(task: TaskHandle<unknown>, result: unknown): void {
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      const promise = result instanceof Promise ? (result as Promise<unknown>) : Promise.resolve(result);
      task.follow(promise);
      void promise.then(this.#fulfilled, this.#rejected);
    } else {
      task.settle(true, result);
      this.#settled(true, result, true);
    }
  }

  readonly #fulfilled = (value: unknown): void => {
    this.#settled(true, value, true);
  };

  readonly #rejected = (error: unknown): void => {
    this.#settled(false, error, true);
  };

  #enqueue(task: TaskHandle<unknown>, fn: TaskFn): void {
    const queue = (this.#queue ??= new WaitQueue<Queued, Queued>());
    // No signal per waiter: when the group stops, #stop wakes every waiter to refuse it. The
    // promise never rejects.
    void queue.wait(new Queued(task, fn, captureAsyncContext())).then(this.#woken);
  }

  /** A waiting task was woken: with a slot, or because the group stopped. */
  readonly #woken = (queued: Queued): void => {
    // The group may have been cancelled since it was woken (even by a task woken just before
    // this one): then it never starts, and its slot moves on.
    const token = this.#source.token;
    if (token.isCancelled) {
      if (queued.held) this.#release();
      const refusal = (this.#refusal ??= cancelledError(token.reason));
      queued.task.settle(false, refusal);
      this.#settled(false, refusal, false);
      return;
    }
    queued.context.run(this.#startQueued, queued);
  };

  readonly #startQueued = (queued: Queued): void => {
    this.#execute(queued.task, queued.fn);
  };

  /** Frees a slot: straight to the oldest waiter, if any. */
  #release(): void {
    const queue = this.#queue;
    if (queue !== undefined && !queue.isEmpty) {
      const next = queue.peek() as Queued;
      next.held = true;
      queue.wake(next);
    } else {
      this.#running--;
    }
  }

  /** A task has settled; `held` tells whether it held a slot (its function ran). */
  #settled(ok: boolean, result: unknown, held: boolean): void {
    if (!ok && !isCancellation(result)) this.#failed(result);
    if (held) this.#release();
    if (--this.#pending === 0 && this.#state === JOINING) {
      const joined = this.#joined;
      if (joined !== undefined) {
        this.#joined = undefined;
        joined();
      }
    }
  }

  /** Records a failure or a bubble-up, and cancels everything still running. */
  #failed(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      const seen = (this.#seen ??= new Set());
      if (seen.has(error)) return;
      seen.add(error);
    }
    if (BubbleUp.is(error)) {
      if (!this.#hasBubble) {
        this.#hasBubble = true;
        this.#bubble = error;
      }
    } else {
      (this.#failures ??= []).push(error);
    }
    this.#stop(error, 'The task group is stopping because a task failed');
  }

  /** Cancels the group's token (and so every task's) once; tasks waiting for a slot never start. */
  #stop(cause: unknown, message: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    // Tasks always see a cancellation as the reason, so that what they throw when they obey it
    // (a fetch rejecting with the reason) is never mistaken for a failure.
    const reason = isCancellation(cause) ? cause : new CancelledError(message, { cause });
    try {
      this.#source.cancel(reason);
    } catch (error) {
      // A cancellation callback threw: that is a failure too, and must not be lost.
      (this.#failures ??= []).push(error);
    }
    const queue = this.#queue;
    if (queue !== undefined) {
      // Wake every waiter without a slot: each sees the cancelled token and never starts.
      while (!queue.isEmpty) queue.wake(queue.peek() as Queued);
    }
  }
}
