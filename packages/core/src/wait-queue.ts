import { CancellationToken, registerTarget, type CancelTarget } from './cancellation.js';
import { cancelledError, TimeoutError, type CancelledError } from './errors.js';
import { assertTimeout } from './validate.js';

/** Options every waiting call in x accepts. */
export interface WaitOptions {
  /** Cancels the wait: it rejects with `CancelledError` (`cause` = the reason). */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /**
   * Milliseconds to wait at most (0 to 2³¹−1, or `Infinity` for no limit); running out rejects
   * with `TimeoutError`.
   */
  readonly timeout?: number | undefined;
}

/** How the owner of a {@link WaitQueue} hears about waiters that leave on their own. */
export interface WaitQueueHooks<T, D> {
  /**
   * A waiter left the queue (cancelled or timed out) before it was woken. Wake whoever can
   * now proceed.
   */
  readonly onLeave?: ((data: D) => void) | undefined;
  /**
   * A waiter was woken with `value`, but its signal fired before its caller resumed. The
   * caller gets `CancelledError`; give `value` back (e.g. hand the permit to the next waiter).
   * Without this hook a woken waiter keeps what it was given.
   */
  readonly onAbandon?: ((value: T, data: D) => void) | undefined;
}

/** One waiter: a node of the queue's intrusive doubly linked list. */
class Waiter<T, D> implements CancelTarget {
  prev: Waiter<T, D> | null = null;
  next: Waiter<T, D> | null = null;
  queue: WaitQueue<T, D> | null;
  readonly data: D;
  /** Only `resolve` is kept (a resolving function costs ~64 bytes); see {@link rejectWaiter}. */
  resolve!: (value: T | PromiseLike<T>) => void;
  registration: Disposable | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(queue: WaitQueue<T, D>, data: D) {
    this.queue = queue;
    this.data = data;
  }

  cancelled(_reason: unknown, error: CancelledError): void {
    const queue = this.queue;
    if (queue !== null) queue.leave(this, error);
  }
}

// One shared promise executor instead of a closure per waiter. It runs synchronously inside
// `new Promise`, so handing the waiter over through a module variable is safe.
let forming: Waiter<unknown, unknown> | null = null;
function attach(resolve: (value: unknown) => void): void {
  (forming as Waiter<unknown, unknown>).resolve = resolve;
}

/**
 * Rejects through `resolve` with a thenable that rejects: keeping the `reject` function of
 * every queued waiter would cost memory for the rare path. No intermediate promise is created,
 * so nothing can be reported as an unhandled rejection.
 */
function rejectWaiter<T, D>(waiter: Waiter<T, D>, error: unknown): void {
  waiter.resolve({
    then(_: unknown, reject: (reason: unknown) => void) {
      reject(error);
    },
  } as PromiseLike<T>);
}

function onTimeout<T, D>(waiter: Waiter<T, D>): void {
  waiter.timer = undefined;
  const queue = waiter.queue;
  if (queue !== null) queue.leave(waiter, new TimeoutError());
}

/**
 * A cancellable FIFO queue of waiters — the building block behind every x primitive that
 * makes callers wait (semaphore, rwlock, worker pool, executor).
 *
 * Each waiter carries `data` (what it waits for: a weight, a reader/writer flag, a job) and
 * gets a promise of `T`. The owner decides when the head may proceed and calls
 * {@link WaitQueue.wake}.
 *
 * **Fairness**: strict FIFO; the owner only ever wakes the head.
 *
 * **Cancellation**: a waiter whose `signal` fires, or whose `timeout` runs out, is unlinked in
 * O(1), its timer and listener are released, it rejects with `CancelledError` / `TimeoutError`,
 * and `hooks.onLeave` runs so the owner can wake whoever can now proceed.
 */
export class WaitQueue<T, D = undefined> {
  #head: Waiter<T, D> | null = null;
  #tail: Waiter<T, D> | null = null;
  #size = 0;
  readonly #onLeave: ((data: D) => void) | undefined;
  readonly #onAbandon: ((value: T, data: D) => void) | undefined;

  constructor(hooks: WaitQueueHooks<T, D> = {}) {
    this.#onLeave = hooks.onLeave;
    this.#onAbandon = hooks.onAbandon;
  }

  /** How many are waiting. */
  get size(): number {
    return this.#size;
  }

  /** The data of the waiter at the head, or `undefined` when the queue is empty. */
  peek(): D | undefined {
    return this.#head === null ? undefined : this.#head.data;
  }

  /** Whether the queue is empty. */
  get isEmpty(): boolean {
    return this.#head === null;
  }

  /**
   * Joins the tail of the queue. The promise resolves with what {@link WaitQueue.wake} gives.
   *
   * **Errors**: rejects with `CancelledError` when `signal` fires first (at once if it already
   * has), `TimeoutError` when `timeout` runs out first, or the error given to
   * {@link WaitQueue.rejectAll}. Waiters cancelled by the same `cancel()` share one
   * `CancelledError`. Throws `RangeError` for a negative `timeout` or one above 2³¹−1 ms
   * (`Infinity` means no limit).
   */
  wait(data: D, options?: WaitOptions): Promise<T> {
    let token: CancellationToken | undefined;
    let timeout: number | undefined;
    if (options !== undefined) {
      timeout = options.timeout;
      if (timeout !== undefined) {
        assertTimeout('timeout', timeout, true);
        if (timeout === Infinity) timeout = undefined;
      }
      if (options.signal !== undefined) {
        token = CancellationToken.from(options.signal);
        if (token.isCancelled) return Promise.reject(cancelledError(token.reason));
      }
    }
    const waiter = new Waiter<T, D>(this, data);
    forming = waiter as Waiter<unknown, unknown>;
    const promise = new Promise<T>(attach as (resolve: (value: T | PromiseLike<T>) => void) => void);
    forming = null;
    const tail = this.#tail;
    if (tail === null) this.#head = waiter;
    else {
      tail.next = waiter;
      waiter.prev = tail;
    }
    this.#tail = waiter;
    this.#size++;
    if (timeout !== undefined) waiter.timer = setTimeout(onTimeout<T, D>, timeout, waiter);
    if (token === undefined) return promise;
    waiter.registration = registerTarget(token, waiter);
    const onAbandon = this.#onAbandon;
    if (onAbandon === undefined) return promise;
    const owned = token;
    return promise.then((value) => {
      if (owned.isCancelled) {
        onAbandon(value, data);
        throw cancelledError(owned.reason);
      }
      return value;
    });
  }

  /**
   * Wakes the head waiter with `value`. Returns its data, or `undefined` when nobody waits
   * (check {@link WaitQueue.isEmpty} first when `undefined` is a valid `D`).
   */
  wake(value: T): D | undefined {
    const waiter = this.#head;
    if (waiter === null) return undefined;
    this.#unlink(waiter);
    waiter.resolve(value);
    return waiter.data;
  }

  /** Rejects every waiter with `error` (e.g. a `ClosedError`), in queue order. */
  rejectAll(error: unknown): void {
    let waiter: Waiter<T, D> | null;
    while ((waiter = this.#head) !== null) {
      this.#unlink(waiter);
      rejectWaiter(waiter, error);
    }
  }

  /** Iterates the data of the waiters, head first. */
  *[Symbol.iterator](): IterableIterator<D> {
    for (let waiter = this.#head; waiter !== null; waiter = waiter.next) yield waiter.data;
  }

  /** @internal Called by a waiter that was cancelled or timed out. */
  leave(waiter: Waiter<T, D>, error: unknown): void {
    this.#unlink(waiter);
    rejectWaiter(waiter, error);
    const onLeave = this.#onLeave;
    if (onLeave !== undefined) onLeave(waiter.data);
  }

  #unlink(waiter: Waiter<T, D>): void {
    const { prev, next } = waiter;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = null;
    waiter.queue = null;
    this.#size--;
    if (waiter.timer !== undefined) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    const registration = waiter.registration;
    if (registration !== undefined) {
      waiter.registration = undefined;
      registration[Symbol.dispose]();
    }
  }
}
