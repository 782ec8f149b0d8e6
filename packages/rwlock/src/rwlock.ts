import {
  CancellationToken,
  abortReason,
  assertFunction,
  assertTimeout,
  cancelledError,
  describeValue,
  isAborted,
} from '@x/core';
import { LockState } from './internal/lock-state.js';
import { ReadGuard } from './read-guard.js';
import { WriteGuard } from './write-guard.js';

/** Options of every call that may wait for an {@link RWLock}. */
export interface LockOptions {
  /**
   * Cancels the wait: it rejects with `CancelledError` (`cause` = the reason). An already
   * aborted signal never acquires, even when the lock is free.
   */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** Milliseconds to wait at most; running out rejects with `TimeoutError`. */
  readonly timeout?: number | undefined;
}

/**
 * Validates `options` (throwing on bad input) and returns why the call must not acquire:
 * an already aborted signal, or a closed lock. `undefined` when it may go ahead.
 */
function refusal(options: LockOptions | undefined, state: LockState): Error | undefined {
  if (options !== undefined) {
    const value: unknown = options;
    if (typeof value !== 'object' || value === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(value)}`);
    }
    const { signal, timeout } = options;
    if (timeout !== undefined) assertTimeout('timeout', timeout);
    if (signal !== undefined && isAborted(signal)) return cancelledError(abortReason(signal));
  }
  return state.closed ? state.closedError() : undefined;
}

/**
 * Runs `fn` holding `guard` and releases it however `fn` ends, a synchronous throw included (it
 * becomes a rejection). Called on a free lock, `fn` starts synchronously, inside the caller's
 * call; called after a wait, a signal that fired since the wake-up keeps `fn` from starting.
 */
async function runHeld<R>(
  guard: ReadGuard | WriteGuard,
  fn: (token: CancellationToken) => R,
  token: CancellationToken,
): Promise<Awaited<R>> {
  try {
    token.throwIfCancelled();
    return await fn(token);
  } finally {
    guard.release();
  }
}

function tokenOf(options: LockOptions | undefined): CancellationToken {
  return options?.signal === undefined ? CancellationToken.none : CancellationToken.from(options.signal);
}

/**
 * A fair, cancellable reader–writer lock: many readers at once, or one writer alone.
 *
 * **Fairness**: one FIFO queue for both kinds. Once a writer waits, readers that come later
 * queue behind it, so writers never starve; when a writer releases, every reader queued before
 * the next writer enters together, so readers never starve. A lock that is free and has nobody
 * queued is taken at once, without allocating a waiter.
 *
 * **Cancellation**: every wait takes `signal` and `timeout`. A waiter that leaves is unlinked in
 * O(1) and whoever can now proceed is let in (a writer that leaves lets the readers queued
 * behind it enter). A lock handed to a waiter whose signal fires before it resumes goes straight
 * to the next waiter.
 *
 * **Errors**: waits reject with `CancelledError`, `TimeoutError` or, after
 * {@link RWLock.close}, {@link ClosedError}. Bad options throw `TypeError`/`RangeError`
 * synchronously.
 *
 * @example
 * ```ts
 * const lock = new RWLock();
 * const value = await lock.withRead(() => cache.get(key));
 * await lock.withWrite(async () => cache.set(key, await load(key)), { timeout: 1_000 });
 * ```
 */
export class RWLock {
  readonly #state = new LockState();

  /** How many readers hold the lock now. */
  get readers(): number {
    return this.#state.readers;
  }

  /** Whether a writer holds the lock now. */
  get isWriteLocked(): boolean {
    return this.#state.writer;
  }

  /** Whether {@link RWLock.close} has been called. */
  get isClosed(): boolean {
    return this.#state.closed;
  }

  /** How many calls are queued, readers and writers together. */
  get waiting(): number {
    return this.#state.queue.size;
  }

  /**
   * Takes a shared read lock, waiting while a writer holds the lock or is queued.
   *
   * **Fairness**: enters at once only when no writer holds the lock and nobody is queued;
   * otherwise queues in FIFO order behind any waiting writer.
   *
   * **Cancellation**: `signal` firing or `timeout` running out removes the waiter, keeping no
   * timer, listener or queue slot; an already aborted signal never acquires.
   *
   * **Errors**: rejects with `CancelledError` (`cause` = the reason), `TimeoutError`, or
   * {@link ClosedError} once the lock is closed. Throws `RangeError`/`TypeError` for a bad
   * `timeout` or `signal`.
   */
  read(options?: LockOptions): Promise<ReadGuard> {
    const state = this.#state;
    const refused = refusal(options, state);
    if (refused !== undefined) return Promise.reject(refused);
    if (state.canRead()) {
      state.readers++;
      return Promise.resolve(new ReadGuard(state));
    }
    return state.queue.wait(false, options) as Promise<ReadGuard>;
  }

  /**
   * Takes the exclusive write lock, waiting until nobody holds the lock and everyone queued
   * before has had their turn.
   *
   * **Fairness**: enters at once only when the lock is free and nobody is queued; otherwise
   * queues in FIFO order, and readers that come later wait behind it.
   *
   * **Cancellation**: `signal` firing or `timeout` running out removes the waiter; the readers
   * queued behind it enter if nothing else holds them back. An already aborted signal never
   * acquires.
   *
   * **Errors**: rejects with `CancelledError` (`cause` = the reason), `TimeoutError`, or
   * {@link ClosedError} once the lock is closed. Throws `RangeError`/`TypeError` for a bad
   * `timeout` or `signal`.
   */
  write(options?: LockOptions): Promise<WriteGuard> {
    const state = this.#state;
    const refused = refusal(options, state);
    if (refused !== undefined) return Promise.reject(refused);
    if (state.canWrite()) {
      state.writer = true;
      return Promise.resolve(new WriteGuard(state));
    }
    return state.queue.wait(true, options) as Promise<WriteGuard>;
  }

  /**
   * Takes a read lock if that is possible right now without waiting, else returns `undefined`.
   *
   * **Fairness**: fails while a writer holds the lock or anyone is queued (a waiting writer is
   * never overtaken).
   *
   * **Errors**: throws {@link ClosedError} once the lock is closed.
   */
  tryRead(): ReadGuard | undefined {
    const state = this.#state;
    if (state.closed) throw state.closedError();
    if (!state.canRead()) return undefined;
    state.readers++;
    return new ReadGuard(state);
  }

  /**
   * Takes the write lock if it is free and nobody is queued, else returns `undefined`.
   *
   * **Fairness**: never overtakes a queued reader or writer.
   *
   * **Errors**: throws {@link ClosedError} once the lock is closed.
   */
  tryWrite(): WriteGuard | undefined {
    const state = this.#state;
    if (state.closed) throw state.closedError();
    if (!state.canWrite()) return undefined;
    state.writer = true;
    return new WriteGuard(state);
  }

  /**
   * Runs `fn(token)` holding a read lock and releases it when `fn` returns, throws, or its
   * promise settles, a synchronous throw included (it rejects the returned promise). Resolves
   * with what `fn` returns.
   *
   * When no writer holds the lock and nobody is queued, `fn` starts synchronously, inside this
   * call. Otherwise it starts after the wait, in the async context of this call.
   *
   * `token` is the `signal` option as a `CancellationToken` (`CancellationToken.none` without
   * one): pass it on so the work stops when the caller gives up.
   *
   * **Fairness**: as {@link RWLock.read}.
   *
   * **Cancellation**: as {@link RWLock.read} until `fn` starts (a cancelled call never starts
   * it); once `fn` runs, cancelling only cancels `token` — the lock is held until `fn` settles.
   *
   * **Errors**: as {@link RWLock.read}, plus whatever `fn` throws or rejects with. Throws
   * `TypeError` when `fn` is not a function.
   */
  withRead<R>(fn: (token: CancellationToken) => R, options?: LockOptions): Promise<Awaited<R>> {
    assertFunction('fn', fn);
    const state = this.#state;
    const token = tokenOf(options);
    const refused = refusal(options, state);
    if (refused !== undefined) return Promise.reject(refused);
    if (state.canRead()) {
      state.readers++;
      return runHeld(new ReadGuard(state), fn, token);
    }
    return state.queue.wait(false, options).then((guard) => runHeld(guard, fn, token));
  }

  /**
   * Runs `fn(token)` holding the write lock and releases it when `fn` returns, throws, or its
   * promise settles, a synchronous throw included (it rejects the returned promise). Resolves
   * with what `fn` returns.
   *
   * When the lock is free and nobody is queued, `fn` starts synchronously, inside this call.
   * Otherwise it starts after the wait, in the async context of this call.
   *
   * `token` is the `signal` option as a `CancellationToken` (`CancellationToken.none` without
   * one): pass it on so the work stops when the caller gives up.
   *
   * **Fairness**: as {@link RWLock.write}.
   *
   * **Cancellation**: as {@link RWLock.write} until `fn` starts (a cancelled call never starts
   * it); once `fn` runs, cancelling only cancels `token` — the lock is held until `fn` settles.
   *
   * **Errors**: as {@link RWLock.write}, plus whatever `fn` throws or rejects with. Throws
   * `TypeError` when `fn` is not a function.
   */
  withWrite<R>(fn: (token: CancellationToken) => R, options?: LockOptions): Promise<Awaited<R>> {
    assertFunction('fn', fn);
    const state = this.#state;
    const token = tokenOf(options);
    const refused = refusal(options, state);
    if (refused !== undefined) return Promise.reject(refused);
    if (state.canWrite()) {
      state.writer = true;
      return runHeld(new WriteGuard(state), fn, token);
    }
    return state.queue.wait(true, options).then((guard) => runHeld(guard, fn, token));
  }

  /**
   * Closes the lock: every queued call rejects with {@link ClosedError} (`cause` = `reason`),
   * and so does every later `read`/`write`/`withRead`/`withWrite`; `tryRead`/`tryWrite` throw
   * it. Guards held now stay valid and can still be released or downgraded. Closing twice
   * is a no-op (the first reason stays).
   */
  close(reason?: unknown): void {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    state.closeReason = reason;
    state.queue.rejectAll(state.closedError());
  }
}
