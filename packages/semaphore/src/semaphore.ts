import {
  CancellationToken,
  TimeoutError,
  abortReason,
  assertFunction,
  assertInteger,
  assertNumber,
  cancelledError,
  isAborted,
} from '@x/core';
import { ClosedError } from './closed-error.js';
import { Permit } from './permit.js';

/** Options of {@link Semaphore.acquire}. */
export interface AcquireOptions {
  /** How many permits to take at once: an integer from 1 to `capacity`. Default 1. */
  readonly weight?: number | undefined;
  /** Cancels the wait: it rejects with `CancelledError` (`cause` = the reason). */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** Milliseconds to wait at most; running out rejects with `TimeoutError`. */
  readonly timeout?: number | undefined;
}

/**
 * Options of {@link Semaphore.run} and {@link Semaphore.limit}: the same as
 * {@link AcquireOptions}. `signal` and `timeout` bound the wait for permits only; once the
 * function runs, it sees `signal` through the token it receives and decides what to do.
 */
export type RunOptions = AcquireOptions;

type Settle = (value: Permit | undefined | PromiseLike<never>) => void;

// One shared executor, so that queuing allocates no closure: the promise's resolve function is
// picked up from here right after `new Promise(capture)`.
let captured: Settle | undefined;
function capture(resolve: Settle): void {
  captured = resolve;
}

/** One queued acquire: a node of the semaphore's intrusive doubly linked list. */
class Waiter {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  readonly weight: number;
  /**
   * Whether the caller wants a {@link Permit}: false for the internal waits of `run`, which are
   * woken with `undefined` and give their weight back themselves (no guard object, no `then`
   * lookup on the resolution).
   */
  readonly wantsPermit: boolean;
  /**
   * Settles the caller's promise; `null` once the waiter has left the queue. Rejection goes
   * through it too (`settle(new Rejection(error))`), so no reject function is kept per waiter.
   */
  settle: Settle | null;
  /** Only for waits with a signal or a timeout. */
  watch: Watch | null = null;

  constructor(weight: number, wantsPermit: boolean, settle: Settle) {
    this.weight = weight;
    this.wantsPermit = wantsPermit;
    this.settle = settle;
  }
}

/** What a waiter with a signal or a timeout carries besides its place in the queue. */
class Watch {
  readonly waiter: Waiter;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  group: SignalGroup | null = null;
  prev: Watch | null = null;
  next: Watch | null = null;

  constructor(waiter: Waiter) {
    this.waiter = waiter;
  }
}

/**
 * The waiters of one semaphore that share one signal: a second intrusive list, with one
 * `onCancel` registration for all of them. A signal firing rejects the whole group in one
 * callback, with one shared `CancelledError` (as `fetch` calls share `signal.reason`).
 */
class SignalGroup {
  readonly token: CancellationToken;
  head: Watch | null = null;
  tail: Watch | null = null;
  registration: Disposable | undefined = undefined;
  /** Hands a permit back when the signal fired between the wake-up and the caller resuming. */
  readonly checkResumed: (permit: Permit) => Permit;

  constructor(token: CancellationToken) {
    this.token = token;
    this.checkResumed = (permit) => {
      if (token.isCancelled) {
        permit.release();
        throw cancelledError(token.reason);
      }
      return permit;
    };
  }
}

/**
 * A thenable that rejects whoever adopts it: `settle(new Rejection(error))` rejects a waiter's
 * promise through its resolve function, without a rejected promise in between (no
 * unhandled-rejection bookkeeping) and without keeping a reject function per waiter. One
 * instance can reject any number of waiters.
 */
class Rejection implements PromiseLike<never> {
  readonly #error: Error;

  constructor(error: Error) {
    this.#error = error;
  }

  then<A = never, B = never>(
    _onFulfilled?: ((value: never) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    if (onRejected != null) onRejected(this.#error);
    return this;
  }
}

// Lets Mutex name itself in ClosedError messages without a public constructor parameter.
let setNoun: (semaphore: Semaphore, noun: string) => void;

/**
 * A weighted, fair, cancellable counting semaphore: at most `capacity` permits are held at
 * any time, and callers that want more wait in one FIFO queue.
 *
 * **Fairness**: strict FIFO, weights included — a waiter for 3 permits at the head is not
 * overtaken by a waiter for 1 behind it, and {@link Semaphore.tryAcquire} fails while anyone
 * waits. A released permit is handed straight to the head of the queue.
 *
 * **Cancellation**: every wait takes `signal` and `timeout`. A waiter that leaves is unlinked
 * in O(1), keeps no timer or listener, and wakes whoever can now proceed. A permit handed to a
 * waiter whose signal fires before it resumes goes on to the next waiter.
 *
 * **Errors**: bad input throws `TypeError` / `RangeError` naming the argument, at the call.
 * After {@link Semaphore.close}, waits reject with {@link ClosedError}.
 *
 * @example
 * ```ts
 * const semaphore = new Semaphore(4);
 * const pages = await Promise.all(urls.map((url) =>
 *   semaphore.run((token) => fetch(url, { signal: token.signal }))));
 * ```
 */
export class Semaphore {
  #capacity: number;
  /** Free permits; negative after `capacity` was lowered below what is held. */
  #available: number;
  #closed = false;
  #reason: unknown = undefined;
  #noun = 'semaphore';
  /** The groups of waiters that share a signal, while any waits. */
  #groups: Map<CancellationToken, SignalGroup> | undefined = undefined;
  #onTimeout: ((watch: Watch) => void) | undefined = undefined;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #waiting = 0;
  readonly #giveBack = (weight: number): void => {
    this.#available += weight;
    if (this.#head !== null) this.#drain();
  };

  static {
    setNoun = (semaphore, noun) => {
      semaphore.#noun = noun;
    };
  }

  /**
   * Creates a semaphore with `permits` permits, all free.
   *
   * **Errors**: `TypeError` / `RangeError` unless `permits` is an integer from 1 and up.
   */
  constructor(permits: number) {
    assertInteger('permits', permits, 1);
    this.#capacity = permits;
    this.#available = permits;
  }

  /** How many permits exist: the most that can be held at once. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Changes the number of permits at run time. Raising it wakes the waiters that now fit, in
   * queue order; lowering it takes effect as held permits come back (nothing is revoked).
   *
   * **Errors**: `TypeError` / `RangeError` unless `value` is an integer from 1 and up;
   * `RangeError` when a queued waiter asks for more than `value` permits (it could never be
   * served).
   */
  set capacity(value: number) {
    assertInteger('capacity', value, 1);
    const old = this.#capacity;
    if (value < old) {
      for (let waiter = this.#head; waiter !== null; waiter = waiter.next) {
        if (waiter.weight > value) {
          throw new RangeError(
            `Expected \`capacity\` to be at least ${waiter.weight}, the weight of a queued waiter, got \`${value}\` (number)`,
          );
        }
      }
    }
    this.#capacity = value;
    this.#available += value - old;
    if (value > old) this.#drain();
  }

  /** How many permits are free right now (0 while `capacity` was lowered below what is held). */
  get available(): number {
    return this.#available > 0 ? this.#available : 0;
  }

  /** How many callers are queued for permits. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Whether {@link Semaphore.close} has been called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for `weight` permits (default 1) and resolves with a {@link Permit} holding them.
   * Release it with `permit.release()` or `using`.
   *
   * **Fairness**: resolves at once only when the permits are free and nobody waits; otherwise
   * joins the tail of the queue and is served strictly in order.
   *
   * **Cancellation**: `signal` firing rejects with `CancelledError` (`cause` = the reason);
   * an already-aborted signal never acquires, even when permits are free. `timeout` running
   * out rejects with `TimeoutError`. Either way nothing is kept and the waiters behind are
   * woken if they now fit.
   *
   * **Errors**: rejects with {@link ClosedError} once the semaphore is closed. Throws
   * `RangeError` / `TypeError` for a `weight` that is not an integer from 1 to `capacity`, a
   * negative or non-finite `timeout`, or a `signal` that is neither an AbortSignal nor a token.
   *
   * @example
   * ```ts
   * using permit = await semaphore.acquire({ weight: 2, signal, timeout: 5_000 });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<Permit> {
    if (options === undefined) {
      // The common call, without options: weight 1, no signal, no timeout. Permits are whole
      // numbers, so `available > 0` means one is free.
      if (this.#available > 0 && this.#head === null && !this.#closed) {
        this.#available--;
        return Promise.resolve(new Permit(this.#giveBack, 1));
      }
      if (this.#closed) return Promise.reject(this.#closedError());
      return this.#enqueue(1, true, undefined, null) as Promise<Permit>;
    }
    const weight = this.#check(options);
    const signal = options.signal;
    const aborted = signal !== undefined && isAborted(signal); // also checks what `signal` is
    if (this.#closed) return Promise.reject(this.#closedError());
    if (aborted) return Promise.reject(cancelledError(abortReason(signal)));
    if (weight <= this.#available && this.#head === null) {
      this.#available -= weight;
      return Promise.resolve(new Permit(this.#giveBack, weight));
    }
    if (signal === undefined) return this.#enqueue(weight, true, options, null) as Promise<Permit>;
    const group = this.#group(CancellationToken.from(signal));
    // A permit handed over while the signal fires before the caller resumes goes back.
    return (this.#enqueue(weight, true, options, group) as Promise<Permit>).then(group.checkResumed);
  }

  /**
   * Takes `weight` permits (default 1) if they are free and nobody waits; returns `undefined`
   * otherwise. Never waits.
   *
   * **Fairness**: does not jump over waiters — fails while the queue is not empty.
   *
   * **Errors**: throws {@link ClosedError} once the semaphore is closed; `RangeError` /
   * `TypeError` for a `weight` that is not an integer from 1 to `capacity`.
   */
  tryAcquire(weight = 1): Permit | undefined {
    assertInteger('weight', weight, 1, this.#capacity);
    if (this.#closed) throw this.#closedError();
    if (weight > this.#available || this.#head !== null) return undefined;
    this.#available -= weight;
    return new Permit(this.#giveBack, weight);
  }

  /**
   * Runs `fn` while holding `weight` permits (default 1) and resolves with what it returns.
   * The permits are released when `fn` settles: on return, on throw, and on a synchronous
   * throw. `fn` receives a `CancellationToken` made from `signal` (never cancelled without one).
   *
   * When permits are free and nobody waits, `fn` starts synchronously, inside this call.
   * Otherwise it starts after the wait, in the async context of this call.
   *
   * **Fairness**: as {@link Semaphore.acquire}.
   *
   * **Cancellation**: `signal` and `timeout` end the wait as in {@link Semaphore.acquire}; `fn`
   * is then never started. Once `fn` runs, `signal` only cancels its token.
   *
   * **Errors**: rejects with what `fn` throws, with `CancelledError` / `TimeoutError` from the
   * wait, or with {@link ClosedError}. Throws `TypeError` when `fn` is not a function, and for
   * bad options as {@link Semaphore.acquire}.
   */
  run<T>(fn: (token: CancellationToken) => T | PromiseLike<T>, options?: RunOptions): Promise<T> {
    assertFunction('fn', fn);
    if (options === undefined) {
      // The common call, without options: weight 1, no signal, no timeout.
      if (this.#available > 0 && this.#head === null && !this.#closed) {
        this.#available--;
        return this.#runHeld(fn, CancellationToken.none, 1);
      }
      return this.#runWaiting(fn);
    }
    const weight = this.#check(options);
    const token = options.signal === undefined ? CancellationToken.none : CancellationToken.from(options.signal);
    if (!this.#closed && weight <= this.#available && this.#head === null && !token.isCancelled) {
      this.#available -= weight;
      return this.#runHeld(fn, token, weight);
    }
    return this.#runQueued(fn, token, weight, options);
  }

  /**
   * Wraps `fn` so that every call runs through {@link Semaphore.run} — like p-limit. The
   * wrapper takes `fn`'s parameters and returns a promise of its result; `fn` is called with
   * exactly the arguments given (no token is appended, so optional parameters stay intact).
   *
   * **Fairness**, **Cancellation**: as {@link Semaphore.run}, with `options` applied to every call.
   *
   * **Errors**: throws `TypeError` when `fn` is not a function, and for bad options as
   * {@link Semaphore.acquire}.
   *
   * @example
   * ```ts
   * const fetchLimited = new Semaphore(2).limit((url: string) => fetch(url));
   * await Promise.all(urls.map((url) => fetchLimited(url))); // two at a time
   * ```
   */
  limit<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    options?: RunOptions,
  ): (...args: A) => Promise<R> {
    assertFunction('fn', fn);
    if (options !== undefined) this.#check(options);
    return (...args: A) => this.run(() => fn(...args), options);
  }

  /**
   * Closes the semaphore: every queued waiter, and every later `acquire` / `run`, rejects with
   * {@link ClosedError} (`cause` = `reason`); `tryAcquire` throws it. Permits held now can
   * still be released. Closing again is a no-op (the first reason stays).
   */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    let waiter = this.#head;
    if (waiter === null) return;
    const error = new Rejection(this.#closedError());
    while (waiter !== null) {
      const settle = waiter.settle as Settle;
      this.#unlink(waiter);
      settle(error);
      waiter = this.#head;
    }
  }

  #check(options: AcquireOptions): number {
    const { weight, timeout } = options;
    if (timeout !== undefined) assertNumber('timeout', timeout, 0);
    if (weight === undefined) return 1;
    assertInteger('weight', weight, 1, this.#capacity);
    return weight;
  }

  #closedError(): ClosedError {
    const reason = this.#reason;
    return new ClosedError(`The ${this.#noun} is closed`, reason === undefined ? undefined : { cause: reason });
  }

  #release(weight: number): void {
    this.#available += weight;
    if (this.#head !== null) this.#drain();
  }

  /** Hands free permits straight to the head of the queue for as long as it fits. */
  #drain(): void {
    let waiter: Waiter | null;
    while ((waiter = this.#head) !== null && waiter.weight <= this.#available) {
      this.#available -= waiter.weight;
      const settle = waiter.settle as Settle;
      if (waiter.watch === null) {
        // Nothing to stop (no timer, no signal group): take it off the head directly.
        const next = waiter.next;
        this.#head = next;
        if (next === null) this.#tail = null;
        else {
          next.prev = null;
          waiter.next = null;
        }
        waiter.settle = null;
        this.#waiting--;
      } else this.#unlink(waiter);
      settle(waiter.wantsPermit ? new Permit(this.#giveBack, waiter.weight) : undefined);
    }
  }

  /**
   * Joins the tail of the queue, in `group` when the wait has a signal (not cancelled yet).
   * Resolves with a {@link Permit} when `wantsPermit`, else with `undefined` once the caller
   * holds `weight` permits (and owes them back).
   */
  #enqueue(
    weight: number,
    wantsPermit: boolean,
    options: AcquireOptions | undefined,
    group: SignalGroup | null,
  ): Promise<Permit | undefined> {
    const promise = new Promise<Permit | undefined>(capture);
    const waiter = new Waiter(weight, wantsPermit, captured as Settle);
    captured = undefined; // do not keep the last caller's promise alive
    const tail = this.#tail;
    if (tail === null) this.#head = waiter;
    else {
      tail.next = waiter;
      waiter.prev = tail;
    }
    this.#tail = waiter;
    this.#waiting++;
    const timeout = options?.timeout;
    if (group === null && timeout === undefined) return promise;
    const watch = new Watch(waiter);
    waiter.watch = watch;
    if (timeout !== undefined) {
      this.#onTimeout ??= (expired) => {
        expired.timer = undefined;
        this.#leave(expired.waiter, new Rejection(new TimeoutError()));
      };
      watch.timer = setTimeout(this.#onTimeout, timeout, watch);
    }
    if (group !== null) {
      watch.group = group;
      const last = group.tail;
      if (last === null) group.head = watch;
      else {
        last.next = watch;
        watch.prev = last;
      }
      group.tail = watch;
      group.registration ??= group.token.onCancel((reason) => {
        this.#cancelGroup(group, reason);
      });
    }
    return promise;
  }

  /** The group of waiters for `token` (created on first use, dropped when it empties). */
  #group(token: CancellationToken): SignalGroup {
    const groups = (this.#groups ??= new Map<CancellationToken, SignalGroup>());
    let group = groups.get(token);
    if (group === undefined) {
      group = new SignalGroup(token);
      groups.set(token, group);
    }
    return group;
  }

  /** A waiter gives up (timeout): it rejects, and whoever can now proceed is woken. */
  #leave(waiter: Waiter, rejection: Rejection): void {
    const settle = waiter.settle;
    if (settle === null) return;
    this.#unlink(waiter);
    settle(rejection);
    if (this.#head !== null) this.#drain();
  }

  /** A signal fired: every waiter in its group rejects with one shared `CancelledError`. */
  #cancelGroup(group: SignalGroup, reason: unknown): void {
    group.registration = undefined;
    const rejection = new Rejection(cancelledError(reason));
    let watch: Watch | null;
    while ((watch = group.head) !== null) {
      const waiter = watch.waiter;
      const settle = waiter.settle as Settle;
      this.#unlink(waiter);
      settle(rejection);
    }
    if (this.#head !== null) this.#drain();
  }

  #unlink(waiter: Waiter): void {
    const { prev, next } = waiter;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = null;
    waiter.settle = null;
    this.#waiting--;
    const watch = waiter.watch;
    if (watch === null) return;
    waiter.watch = null;
    if (watch.timer !== undefined) {
      clearTimeout(watch.timer);
      watch.timer = undefined;
    }
    const group = watch.group;
    if (group === null) return;
    watch.group = null;
    const before = watch.prev;
    const after = watch.next;
    if (before === null) group.head = after;
    else before.next = after;
    if (after === null) group.tail = before;
    else after.prev = before;
    watch.prev = watch.next = null;
    if (group.head === null) {
      // The last waiter on this signal is gone: drop its listener and the group.
      const registration = group.registration;
      group.registration = undefined;
      if (registration !== undefined) registration[Symbol.dispose]();
      (this.#groups as Map<CancellationToken, SignalGroup>).delete(group.token);
    }
  }

  async #runHeld<T>(fn: (token: CancellationToken) => T | PromiseLike<T>, token: CancellationToken, weight: number): Promise<T> {
    try {
      return await fn(token);
    } finally {
      this.#release(weight);
    }
  }

  /** `run(fn)` without options when it has to wait: weight 1, no signal, no timeout. */
  async #runWaiting<T>(fn: (token: CancellationToken) => T | PromiseLike<T>): Promise<T> {
    if (this.#closed) throw this.#closedError();
    // Resumes holding one permit (no Permit object: it is given back right here).
    await this.#enqueue(1, false, undefined, null);
    try {
      return await fn(CancellationToken.none);
    } finally {
      this.#release(1);
    }
  }

  async #runQueued<T>(
    fn: (token: CancellationToken) => T | PromiseLike<T>,
    token: CancellationToken,
    weight: number,
    options: RunOptions | undefined,
  ): Promise<T> {
    if (this.#closed) throw this.#closedError();
    if (token.isCancelled) throw cancelledError(token.reason);
    if (token === CancellationToken.none) {
      // Resumes holding `weight` permits (no Permit object: they are given back right here).
      await this.#enqueue(weight, false, options, null);
    } else {
      await this.#enqueue(weight, false, options, this.#group(token));
      if (isAborted(token)) {
        // Handed over while the signal fired: pass it on, never start `fn`.
        this.#release(weight);
        throw cancelledError(token.reason);
      }
    }
    try {
      return await fn(token);
    } finally {
      this.#release(weight);
    }
  }
}

/** @internal Names the semaphore behind a Mutex in its ClosedError messages. */
export function nameSemaphore(semaphore: Semaphore, noun: string): void {
  setNoun(semaphore, noun);
}
