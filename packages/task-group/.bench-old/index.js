// src/task-group.ts
import {
  assertFunction,
  assertInteger,
  BubbleUp,
  CancellationSource,
  CancellationToken,
  CancelledError,
  captureAsyncContext,
  cancelledError,
  describeValue,
  isCancellation,
  WaitQueue
} from "@x/core";

// src/closed-error.ts
var BRAND = Symbol.for("@x/task-group/ClosedError");
var ClosedError = class extends Error {
  constructor(message = "The task group has finished: spawn is no longer allowed", options) {
    super(message, options);
    this.name = "ClosedError";
  }
  /** True for a `ClosedError` from any copy of `@x/task-group`. */
  static is(value) {
    return typeof value === "object" && value !== null && value[BRAND] === true;
  }
};
Object.defineProperty(ClosedError.prototype, BRAND, { value: true });

// src/task.ts
var PENDING = 0;
var FULFILLED = 1;
var REJECTED = 2;
var TaskHandle = class _TaskHandle {
  name;
  /** Whether the task holds a `maxConcurrency` slot (its function has been called). */
  started = false;
  /** The function to run, while the task waits for a slot. */
  fn = void 0;
  #state = PENDING;
  #result = void 0;
  #resolve = void 0;
  #reject = void 0;
  #promise = void 0;
  constructor(name) {
    this.name = name;
  }
  /** A task refused by a failing group: it rejects with `error` and never runs. */
  static refused(name, error) {
    const task = new _TaskHandle(name);
    task.#state = REJECTED;
    task.#result = error;
    return task;
  }
  get [Symbol.toStringTag]() {
    return "Task";
  }
  /** Settles the task once; resolves the promise of whoever awaits it. */
  settle(ok, result) {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#result = result;
    this.fn = void 0;
    if (this.#promise === void 0) return;
    if (ok) this.#resolve(result);
    else this.#reject(result);
    this.#resolve = this.#reject = void 0;
  }
  #outcome() {
    let promise = this.#promise;
    if (promise !== void 0) return promise;
    if (this.#state === FULFILLED) promise = Promise.resolve(this.#result);
    else if (this.#state === REJECTED) {
      promise = Promise.reject(this.#result);
    } else {
      promise = new Promise((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
    this.#promise = promise;
    return promise;
  }
  then(onFulfilled, onRejected) {
    return this.#outcome().then(onFulfilled, onRejected);
  }
  catch(onRejected) {
    return this.#outcome().catch(onRejected);
  }
  finally(onFinally) {
    return this.#outcome().finally(onFinally);
  }
};

// src/task-group-error.ts
var BRAND2 = Symbol.for("@x/task-group/TaskGroupError");
function describe(error) {
  if (error instanceof Error) return error.message === "" ? error.name : `${error.name}: ${error.message}`;
  return String(error);
}
var TaskGroupError = class extends AggregateError {
  constructor(errors, message) {
    const count = errors.length;
    super(
      errors,
      message ?? (count === 0 ? "No task succeeded" : `${count === 1 ? "1 task" : `${count} tasks`} failed; first: ${describe(errors[0])}`),
      count === 0 ? void 0 : { cause: errors[0] }
    );
    this.name = "TaskGroupError";
  }
  /** True for a `TaskGroupError` from any copy of `@x/task-group`. */
  static is(value) {
    return typeof value === "object" && value !== null && value[BRAND2] === true;
  }
};
Object.defineProperty(TaskGroupError.prototype, BRAND2, { value: true });

// src/task-group.ts
var haltGroup;
var OPEN = 0;
var JOINING = 1;
var CLOSED = 2;
var TaskGroup = class _TaskGroup {
  static {
    haltGroup = (group, reason) => {
      group.#stop(reason, "The task group was halted");
    };
  }
  #source;
  #max;
  #state = OPEN;
  /** Tasks spawned and not yet settled (waiting ones included). */
  #pending = 0;
  /** Slots in use: tasks whose function has been called and has not settled. */
  #running = 0;
  #queue = void 0;
  /** The group's token has been cancelled (a failure, a bubble-up, the signal, the body). */
  #stopping = false;
  #failures = void 0;
  #bubble = void 0;
  #hasBubble = false;
  #signalled = false;
  #signalReason = void 0;
  #bodyCancellation = void 0;
  #hasBodyCancellation = false;
  /** Error objects already recorded, so that one failure seen twice (a task's, re-thrown by
   * the body that awaited it) is reported once. */
  #seen = void 0;
  #external = void 0;
  #joined = void 0;
  #outcome = void 0;
  /**
   * Opens a group; use it with `await using` (or call `[Symbol.asyncDispose]()` yourself).
   *
   * **Errors**: `TypeError` / `RangeError` for a bad `signal` or `maxConcurrency`.
   */
  constructor(options) {
    let max = Infinity;
    let token = CancellationToken.none;
    if (options !== void 0) {
      const limit = options.maxConcurrency;
      if (limit !== void 0 && limit !== Infinity) assertInteger("maxConcurrency", limit, 1);
      if (limit !== void 0) max = limit;
      if (options.signal !== void 0) token = CancellationToken.from(options.signal);
    }
    this.#max = max;
    this.#source = new CancellationSource();
    if (token !== CancellationToken.none) {
      this.#external = token.onCancel((reason) => {
        this.#signalled = true;
        this.#signalReason = reason;
        this.#stop(reason, "The task group was cancelled");
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
  static run(body, options) {
    assertFunction("body", body);
    const group = new _TaskGroup(options);
    if (group.#signalled) {
      group.#close();
      return Promise.reject(cancelledError(group.#signalReason));
    }
    return group.#runBody(body);
  }
  /** The group's token: cancelled when the group starts failing or its `signal` fires. */
  get token() {
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
  spawn(fn, options) {
    if (typeof fn !== "function") assertFunction("fn", fn);
    let name;
    if (options !== void 0) {
      name = options.name;
      if (name !== void 0 && typeof name !== "string") {
        throw new TypeError(`Expected \`name\` to be a string, got ${describeValue(name)}`);
      }
    }
    if (this.#state === CLOSED) throw new ClosedError();
    if (this.#stopping) return TaskHandle.refused(name, cancelledError(this.#source.token.reason));
    const task = new TaskHandle(name);
    this.#pending++;
    if (this.#running < this.#max) {
      this.#running++;
      task.started = true;
      this.#execute(task, fn);
    } else {
      this.#enqueue(task, fn);
    }
    return task;
  }
  /**
   * Waits for every task to settle, then closes the group and throws what it reports (nothing
   * when all went well). What `await using` calls; calling it again returns the same outcome.
   *
   * **Errors**: see {@link TaskGroup}.
   */
  [Symbol.asyncDispose]() {
    return this.#outcome ??= this.#dispose();
  }
  async #dispose() {
    await this.#join();
    this.#report();
  }
  async #runBody(body) {
    let value;
    try {
      value = await body(this, this.#source.token);
    } catch (error) {
      this.#bodyFailed(error);
    }
    await this.#join();
    this.#report();
    return value;
  }
  #bodyFailed(error) {
    if (isCancellation(error)) {
      if (!this.#hasBodyCancellation) {
        this.#hasBodyCancellation = true;
        this.#bodyCancellation = error;
      }
      this.#stop(error, "The task group body was cancelled");
    } else {
      this.#failed(error);
    }
  }
  /** Waits until every task has settled; spawning stays allowed meanwhile. */
  #join() {
    this.#state = JOINING;
    if (this.#pending === 0) return void 0;
    return new Promise((resolve) => {
      this.#joined = resolve;
    });
  }
  /** Closes the group and throws what the rules say. */
  #report() {
    this.#close();
    if (this.#hasBubble) throw this.#bubble;
    const failures = this.#failures;
    if (failures !== void 0) throw new TaskGroupError(failures);
    if (this.#signalled) throw cancelledError(this.#signalReason);
    if (this.#hasBodyCancellation) throw this.#bodyCancellation;
  }
  #close() {
    this.#state = CLOSED;
    const external = this.#external;
    if (external !== void 0) {
      this.#external = void 0;
      external[Symbol.dispose]();
    }
  }
  /** Calls `fn` and settles the task when its outcome is known. */
  #execute(task, fn) {
    let result;
    try {
      result = fn(this.#source.token);
    } catch (error) {
      this.#settled(task, false, error);
      return;
    }
    if (typeof result === "object" && result !== null && typeof result.then === "function") {
      const promise = result instanceof Promise ? result : Promise.resolve(result);
      void promise.then(
        (value) => {
          this.#settled(task, true, value);
        },
        (error) => {
          this.#settled(task, false, error);
        }
      );
    } else {
      this.#settled(task, true, result);
    }
  }
  #enqueue(task, fn) {
    const queue = this.#queue ??= new WaitQueue();
    const context = captureAsyncContext();
    const token = this.#source.token;
    task.fn = fn;
    void queue.wait(task, { signal: token }).then(
      () => {
        if (token.isCancelled) {
          this.#settled(task, false, cancelledError(token.reason));
          this.#release();
          return;
        }
        const queued = task.fn;
        task.started = true;
        context.run(() => {
          this.#execute(task, queued);
        });
      },
      (error) => {
        this.#settled(task, false, error);
      }
    );
  }
  /** Frees a slot: straight to the oldest waiter, if any. */
  #release() {
    const queue = this.#queue;
    if (queue !== void 0 && !queue.isEmpty) queue.wake(void 0);
    else this.#running--;
  }
  #settled(task, ok, result) {
    if (!ok && !isCancellation(result)) this.#failed(result);
    if (task.started) this.#release();
    task.settle(ok, result);
    if (--this.#pending === 0 && this.#state === JOINING) {
      const joined = this.#joined;
      if (joined !== void 0) {
        this.#joined = void 0;
        joined();
      }
    }
  }
  /** Records a failure or a bubble-up, and cancels everything still running. */
  #failed(error) {
    if (typeof error === "object" && error !== null) {
      const seen = this.#seen ??= /* @__PURE__ */ new Set();
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
    this.#stop(error, "The task group is stopping because a task failed");
  }
  /** Cancels the group's token (and so every task's) once. */
  #stop(cause, message) {
    if (this.#stopping) return;
    this.#stopping = true;
    try {
      this.#source.cancel(isCancellation(cause) ? cause : new CancelledError(message, { cause }));
    } catch (error) {
      (this.#failures ??= []).push(error);
    }
  }
};

// src/map.ts
import { assertFunction as assertFunction2, assertInteger as assertInteger2, describeValue as describeValue2 } from "@x/core";
var ARRAY = 0;
var SYNC = 1;
var ASYNC = 2;
var MapRun = class {
  results;
  kind;
  items;
  fn;
  concurrency;
  group;
  iterator = void 0;
  /** The index the next pulled item gets. */
  index = 0;
  /** How many items were pulled (the length of the result). */
  count = 0;
  /** The source is exhausted, broke, or has been closed. */
  done = false;
  workers = 0;
  /** Pulls from an async source, one after the other. */
  chain = Promise.resolve();
  constructor(items, kind, fn, concurrency, group) {
    this.items = items;
    this.kind = kind;
    this.fn = fn;
    this.concurrency = concurrency;
    this.group = group;
    this.results = kind === ARRAY ? new Array(items.length) : [];
  }
  /** Starts one more worker, unless enough run or the group is stopping. */
  grow() {
    if (this.workers < this.concurrency && !this.done && !this.group.token.isCancelled) {
      this.group.spawn((token) => work(this, token));
    }
  }
  /** Closes the source when the workers stopped before it was exhausted. */
  async close() {
    const iterator = this.iterator;
    if (iterator?.return === void 0) return;
    await iterator.return();
  }
};
async function work(run, token) {
  run.workers++;
  try {
    if (run.kind === ARRAY) await workArray(run, token);
    else await workIterator(run, token);
  } finally {
    if (--run.workers === 0 && !run.done) {
      run.done = true;
      await run.close();
    }
  }
}
async function workArray(run, token) {
  const items = run.items;
  const results = run.results;
  const fn = run.fn;
  const length = items.length;
  for (; ; ) {
    const index = run.index;
    if (index >= length) {
      run.done = true;
      return;
    }
    if (token.isCancelled) return;
    run.index = index + 1;
    if (index + 1 < length) run.grow();
    results[index] = await fn(items[index], token);
  }
}
async function workIterator(run, token) {
  const results = run.results;
  const fn = run.fn;
  for (; ; ) {
    if (run.done || token.isCancelled) return;
    const index = run.index++;
    let step;
    try {
      if (run.kind === SYNC) {
        step = (run.iterator ??= run.items[Symbol.iterator]()).next();
      } else {
        const iterator = run.iterator ??= run.items[Symbol.asyncIterator]();
        const pulled = run.chain.then(() => iterator.next());
        run.chain = pulled.then(noop, noop);
        step = await pulled;
      }
    } catch (error) {
      run.done = true;
      throw error;
    }
    if (step.done === true) {
      run.done = true;
      return;
    }
    run.count = Math.max(run.count, index + 1);
    run.grow();
    results[index] = await fn(step.value, token);
  }
}
function noop() {
}
function sourceKind(items) {
  if (Array.isArray(items)) return ARRAY;
  if (typeof items === "object" && items !== null) {
    if (typeof items[Symbol.asyncIterator] === "function") return ASYNC;
    if (typeof items[Symbol.iterator] === "function") return SYNC;
  } else if (typeof items === "string") {
    return SYNC;
  }
  throw new TypeError(`Expected \`items\` to be an iterable or an async iterable, got ${describeValue2(items)}`);
}
function map(items, fn, options) {
  const kind = sourceKind(items);
  assertFunction2("fn", fn);
  let concurrency = Infinity;
  if (options !== void 0) {
    const limit = options.concurrency;
    if (limit !== void 0 && limit !== Infinity) assertInteger2("concurrency", limit, 1);
    if (limit !== void 0) concurrency = limit;
  }
  return TaskGroup.run(
    (group) => {
      const run = new MapRun(items, kind, fn, concurrency, group);
      run.grow();
      return run;
    },
    options?.signal === void 0 ? void 0 : { signal: options.signal }
  ).then(resultsOf);
}
function resultsOf(run) {
  const results = run.results;
  if (run.kind !== ARRAY) results.length = run.count;
  return results;
}

// src/race.ts
import { BubbleUp as BubbleUp2, CancelledError as CancelledError2, isCancellation as isCancellation2 } from "@x/core";

// src/internal/functions.ts
import { describeValue as describeValue3 } from "@x/core";
function functionList(name, fns) {
  if (typeof fns !== "object" || fns === null || typeof fns[Symbol.iterator] !== "function") {
    throw new TypeError(`Expected \`${name}\` to be an iterable of functions, got ${describeValue3(fns)}`);
  }
  const list = Array.from(fns);
  if (list.length === 0) throw new RangeError(`Expected \`${name}\` to hold at least one function, got none`);
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== "function") {
      throw new TypeError(`Expected \`${name}[${i}]\` to be a function, got ${describeValue3(list[i])}`);
    }
  }
  return list;
}

// src/race.ts
var Race = class {
  decided = false;
  won = false;
  outcome = void 0;
  cancelled = false;
  cancellation = void 0;
  group = void 0;
  async contend(fn, token) {
    let ok = false;
    let result;
    try {
      result = await fn(token);
      ok = true;
    } catch (error) {
      if (BubbleUp2.is(error) && !isCancellation2(error)) throw error;
      result = error;
    }
    if (this.decided) return;
    if (!ok && isCancellation2(result)) {
      if (!this.cancelled) {
        this.cancelled = true;
        this.cancellation = result;
      }
      return;
    }
    this.decided = true;
    this.won = ok;
    this.outcome = result;
    haltGroup(this.group, new CancelledError2("Another task won the race"));
  }
};
function race(fns, options) {
  const list = functionList("fns", fns);
  const state = new Race();
  const outcome = TaskGroup.run(
    (group) => {
      state.group = group;
      for (const fn of list) group.spawn((token) => state.contend(fn, token));
    },
    options?.signal === void 0 ? void 0 : { signal: options.signal }
  );
  return settle(outcome, state);
}
async function settle(outcome, race2) {
  try {
    await outcome;
  } catch (error) {
    if (!race2.decided || BubbleUp2.is(error) && !isCancellation2(error)) throw error;
  }
  if (race2.decided) {
    if (race2.won) return race2.outcome;
    throw race2.outcome;
  }
  throw race2.cancelled ? race2.cancellation : new CancelledError2("Every task of the race was cancelled");
}

// src/any.ts
import { BubbleUp as BubbleUp3, CancelledError as CancelledError3, isCancellation as isCancellation3 } from "@x/core";
var Any = class {
  won = false;
  value = void 0;
  failures = [];
  cancelled = false;
  cancellation = void 0;
  group = void 0;
  async contend(fn, token) {
    let value;
    try {
      value = await fn(token);
    } catch (error) {
      if (BubbleUp3.is(error) && !isCancellation3(error)) throw error;
      if (this.won) return;
      if (!isCancellation3(error)) this.failures.push(error);
      else if (!this.cancelled) {
        this.cancelled = true;
        this.cancellation = error;
      }
      return;
    }
    if (this.won) return;
    this.won = true;
    this.value = value;
    haltGroup(this.group, new CancelledError3("Another task succeeded first"));
  }
};
function any(fns, options) {
  const list = functionList("fns", fns);
  const state = new Any();
  const outcome = TaskGroup.run(
    (group) => {
      state.group = group;
      for (const fn of list) group.spawn((token) => state.contend(fn, token));
    },
    options?.signal === void 0 ? void 0 : { signal: options.signal }
  );
  return settle2(outcome, state);
}
async function settle2(outcome, any2) {
  try {
    await outcome;
  } catch (error) {
    if (!any2.won || BubbleUp3.is(error) && !isCancellation3(error)) throw error;
  }
  if (any2.won) return any2.value;
  if (any2.failures.length > 0) throw new TaskGroupError(any2.failures);
  throw any2.cancelled ? any2.cancellation : new CancelledError3("Every task was cancelled");
}
export {
  ClosedError,
  TaskGroup,
  TaskGroupError,
  any,
  map,
  race
};
//# sourceMappingURL=index.js.map