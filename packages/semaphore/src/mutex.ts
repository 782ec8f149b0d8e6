import type { CancellationToken } from '@x/core';
import type { Permit } from './permit.js';
import { Semaphore, nameSemaphore } from './semaphore.js';

/** Options of {@link Mutex.lock} and {@link Mutex.run}. */
export interface LockOptions {
  /** Cancels the wait: it rejects with `CancelledError` (`cause` = the reason). */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** Milliseconds to wait at most; running out rejects with `TimeoutError`. */
  readonly timeout?: number | undefined;
}

/**
 * A fair, cancellable mutual-exclusion lock: the one-permit case of {@link Semaphore}.
 *
 * **Fairness**: strict FIFO; the lock is handed straight to the next waiter on release, and
 * {@link Mutex.tryLock} fails while anyone waits.
 *
 * **Cancellation**: every wait takes `signal` and `timeout`; a waiter that leaves keeps no
 * timer or listener, and a lock handed to a waiter whose signal fires before it resumes goes
 * on to the next waiter.
 *
 * **Errors**: after {@link Mutex.close}, waits reject with {@link ClosedError}.
 *
 * @example
 * ```ts
 * const mutex = new Mutex();
 * await mutex.run(async () => {
 *   const balance = await read();
 *   await write(balance + 1); // no other run() interleaves here
 * });
 * ```
 */
export class Mutex {
  readonly #semaphore: Semaphore;

  constructor() {
    this.#semaphore = new Semaphore(1);
    nameSemaphore(this.#semaphore, 'mutex');
  }

  /** Whether someone holds the lock. */
  get isLocked(): boolean {
    return this.#semaphore.available === 0;
  }

  /** How many callers are queued for the lock. */
  get waiting(): number {
    return this.#semaphore.waiting;
  }

  /** Whether {@link Mutex.close} has been called. */
  get isClosed(): boolean {
    return this.#semaphore.isClosed;
  }

  /**
   * Waits for the lock and resolves with a {@link Permit} that holds it. Release it with
   * `permit.release()` or `using`.
   *
   * **Fairness**: resolves at once only when the lock is free and nobody waits.
   *
   * **Cancellation**: `signal` firing rejects with `CancelledError` (`cause` = the reason);
   * an already-aborted signal never locks. `timeout` running out rejects with `TimeoutError`.
   *
   * **Errors**: rejects with {@link ClosedError} once the mutex is closed. Throws for a
   * negative or non-finite `timeout` or a `signal` that is neither an AbortSignal nor a token.
   *
   * @example
   * ```ts
   * using lock = await mutex.lock({ timeout: 1_000 });
   * ```
   */
  lock(options?: LockOptions): Promise<Permit> {
    return this.#semaphore.acquire(options);
  }

  /**
   * Takes the lock if it is free and nobody waits; returns `undefined` otherwise.
   *
   * **Errors**: throws {@link ClosedError} once the mutex is closed.
   */
  tryLock(): Permit | undefined {
    return this.#semaphore.tryAcquire();
  }

  /**
   * Runs `fn` while holding the lock and resolves with what it returns; the lock is released
   * when `fn` settles (return, throw, synchronous throw). `fn` receives a `CancellationToken`
   * made from `signal`. When the lock is free, `fn` starts synchronously, inside this call.
   *
   * **Cancellation**: `signal` and `timeout` end the wait as in {@link Mutex.lock}; `fn` is
   * then never started. Once `fn` runs, `signal` only cancels its token.
   *
   * **Errors**: rejects with what `fn` throws, with `CancelledError` / `TimeoutError` from the
   * wait, or with {@link ClosedError}. Throws `TypeError` when `fn` is not a function.
   */
  run<T>(fn: (token: CancellationToken) => T | PromiseLike<T>, options?: LockOptions): Promise<T> {
    return this.#semaphore.run(fn, options);
  }

  /**
   * Closes the mutex: every queued waiter, and every later `lock` / `run`, rejects with
   * {@link ClosedError} (`cause` = `reason`); `tryLock` throws it. A lock held now can still
   * be released. Closing again is a no-op.
   */
  close(reason?: unknown): void {
    this.#semaphore.close(reason);
  }
}
