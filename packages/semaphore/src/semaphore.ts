import {
  CancellationToken,
  WaitQueue,
  abortReason,
  assertFunction,
  assertInteger,
  assertTimeout,
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

/**
 * What a queued waiter asks for: its weight, positive when the caller wants a {@link Permit}
 * (`acquire`), negative for the internal waits of `run`, which are woken with `undefined` and
 * give their weight back themselves (no guard object, no `then` lookup on the resolution).
 */
type Ask = number;

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
  /** The FIFO of waiters (core's cancellable wait queue): data = {@link Ask}, woken with a Permit or `undefined`. */
  readonly #queue: WaitQueue<Permit | undefined, Ask> = new WaitQueue<Permit | undefined, Ask>({
    // A waiter left (signal, timeout): whoever is now at the head may fit.
    onLeave: () => {
      this.#drain();
    },
    // Woken, but its signal fired before it resumed: the permits go on to the next waiters.
    onAbandon: (permit, ask) => {
      if (permit !== undefined) permit.release();
      else this.#release(-ask);
    },
  });
  readonly #giveBack = (weight: number): void => {
    this.#available += weight;
    if (!this.#queue.isEmpty) this.#drain();
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
      for (const ask of this.#queue) {
        const weight = ask > 0 ? ask : -ask;
        if (weight > value) {
          throw new RangeError(
            `Expected \`capacity\` to be at least ${weight}, the weight of a queued waiter, got \`${value}\` (number)`,
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
    return this.#queue.size;
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
   * `timeout` that is not a number from 0 to 2³¹−1 ms, or a `signal` that is neither an AbortSignal nor a token.
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
      if (this.#available > 0 && this.#queue.isEmpty && !this.#closed) {
        this.#available--;
        return Promise.resolve(new Permit(this.#giveBack, 1));
      }
      if (this.#closed) return Promise.reject(this.#closedError());
      return this.#queue.wait(1) as Promise<Permit>;
    }
    const weight = this.#check(options);
    const signal = options.signal;
    const aborted = signal !== undefined && isAborted(signal); // also checks what `signal` is
    if (this.#closed) return Promise.reject(this.#closedError());
    if (aborted) return Promise.reject(cancelledError(abortReason(signal)));
    if (weight <= this.#available && this.#queue.isEmpty) {
      this.#available -= weight;
      return Promise.resolve(new Permit(this.#giveBack, weight));
    }
    // A permit handed over while the signal fires before the caller resumes goes back (onAbandon).
    return this.#queue.wait(weight, options) as Promise<Permit>;
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
    if (weight > this.#available || !this.#queue.isEmpty) return undefined;
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
      if (this.#available > 0 && this.#queue.isEmpty && !this.#closed) {
        this.#available--;
        return this.#runHeld(fn, CancellationToken.none, 1);
      }
      return this.#runWaiting(fn);
    }
    const weight = this.#check(options);
    const token = options.signal === undefined ? CancellationToken.none : CancellationToken.from(options.signal);
    if (!this.#closed && weight <= this.#available && this.#queue.isEmpty && !token.isCancelled) {
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
    if (!this.#queue.isEmpty) this.#queue.rejectAll(this.#closedError());
  }

  #check(options: AcquireOptions): number {
    const { weight, timeout } = options;
    if (timeout !== undefined) assertTimeout('timeout', timeout);
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
    if (!this.#queue.isEmpty) this.#drain();
  }

  /** Hands free permits straight to the head of the queue for as long as it fits. */
  #drain(): void {
    const queue = this.#queue;
    let ask: Ask | undefined;
    while ((ask = queue.peek()) !== undefined) {
      const wantsPermit = ask > 0;
      const weight = wantsPermit ? ask : -ask;
      if (weight > this.#available) return;
      this.#available -= weight;
      queue.wake(wantsPermit ? new Permit(this.#giveBack, weight) : undefined);
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
    await this.#queue.wait(-1);
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
    // Resumes holding `weight` permits (no Permit object: they are given back right here).
    // Handed over while the signal fired, it rejects instead and the permits go on (onAbandon).
    await this.#queue.wait(-weight, token === CancellationToken.none ? options : { signal: token, timeout: options?.timeout });
    if (isAborted(token)) {
      // The signal fired in the microtasks between the hand-over and now: `fn` never starts.
      this.#release(weight);
      throw cancelledError(token.reason);
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
