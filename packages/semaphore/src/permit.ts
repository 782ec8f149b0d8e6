/** @internal How a permit gives its weight back to the semaphore that issued it. */
export type GiveBack = (weight: number) => void;

/**
 * Permits held from a {@link Semaphore} (or the lock of a {@link Mutex}). A guard: release it
 * with {@link Permit.release} or let `using` do it.
 *
 * Releasing twice is a no-op, never a double release. A permit outlives `close()`: releasing
 * it after the semaphore was closed still gives its weight back.
 *
 * @example
 * ```ts
 * using permit = await semaphore.acquire({ weight: 2 });
 * await work(); // released when the block exits, also on throw
 * ```
 */
export class Permit implements Disposable {
  #giveBack: GiveBack | null;
  /** How many permits this guard holds. */
  readonly weight: number;

  /** @internal Permits are issued by `Semaphore` and `Mutex`, never constructed directly. */
  constructor(giveBack: GiveBack, weight: number) {
    this.#giveBack = giveBack;
    this.weight = weight;
  }

  /** Whether {@link Permit.release} has been called. */
  get released(): boolean {
    return this.#giveBack === null;
  }

  /**
   * Gives the permits back; the next waiters that now fit are woken, in queue order. Calling
   * it again is a no-op.
   */
  release(): void {
    const giveBack = this.#giveBack;
    if (giveBack === null) return;
    this.#giveBack = null;
    giveBack(this.weight);
  }

  /** Same as {@link Permit.release}, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }
}
