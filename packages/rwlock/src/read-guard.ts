import type { LockState } from './internal/lock-state.js';

/**
 * Shared (read) ownership of an {@link RWLock}, given by `read()`, `tryRead()` and
 * `WriteGuard.downgrade()`. Release it exactly when the reading is done; `using` does it for you.
 *
 * @example
 * ```ts
 * using guard = await lock.read();
 * return cache.get(key);
 * ```
 */
export class ReadGuard implements Disposable {
  #state: LockState | null;

  /** @internal Guards are made by the lock. */
  constructor(state: LockState) {
    this.#state = state;
  }

  /** Gives the read lock back. Releasing twice is a no-op. */
  release(): void {
    const state = this.#state;
    if (state === null) return;
    this.#state = null;
    state.releaseRead();
  }

  /** Same as {@link ReadGuard.release}, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }
}
