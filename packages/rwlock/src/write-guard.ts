import type { LockState } from './internal/lock-state.js';
import { ReadGuard } from './read-guard.js';

/**
 * Exclusive (write) ownership of an {@link RWLock}, given by `write()` and `tryWrite()`.
 * Release it exactly when the writing is done; `using` does it for you.
 *
 * @example
 * ```ts
 * using guard = await lock.write();
 * cache.set(key, await load(key));
 * ```
 */
export class WriteGuard implements Disposable {
  #state: LockState | null;

  /** @internal Guards are made by the lock. */
  constructor(state: LockState) {
    this.#state = state;
  }

  /** Gives the write lock back. Releasing twice (or after `downgrade()`) is a no-op. */
  release(): void {
    const state = this.#state;
    if (state === null) return;
    this.#state = null;
    state.releaseWrite();
  }

  /**
   * Turns this write lock into a read lock in one step: no writer can get in between. The
   * readers queued before the next waiting writer enter at once, alongside you. This guard is
   * released; release the returned one when done reading.
   *
   * **Fairness**: a writer queued behind those readers keeps its place and waits for every
   * reader, you included.
   *
   * **Errors**: throws an `Error` when this guard has already been released or downgraded.
   *
   * @example
   * ```ts
   * const writing = await lock.write();
   * config = await reload();
   * using reading = writing.downgrade(); // readers come in, no writer can slip in first
   * await publish(config);
   * ```
   */
  downgrade(): ReadGuard {
    const state = this.#state;
    if (state === null) throw new Error('Cannot downgrade a write guard that has already been released');
    this.#state = null;
    state.downgrade();
    return new ReadGuard(state);
  }

  /** Same as {@link WriteGuard.release}, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }
}
