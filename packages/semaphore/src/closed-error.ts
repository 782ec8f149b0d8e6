const CLOSED: unique symbol = Symbol.for('@x/semaphore/ClosedError') as never;

/**
 * The error a wait rejects with once its {@link Semaphore} or {@link Mutex} has been closed:
 * every queued waiter, and every later `acquire` / `lock` / `run`. Its `cause` is the reason
 * given to `close(reason)`, when one was given.
 *
 * Detection works across duplicate copies of `@x/semaphore`: use {@link ClosedError.is}
 * rather than `instanceof`.
 *
 * @example
 * ```ts
 * try {
 *   await semaphore.acquire();
 * } catch (error) {
 *   if (ClosedError.is(error)) return; // shutting down
 *   throw error;
 * }
 * ```
 */
export class ClosedError extends Error {
  declare readonly [CLOSED]: true;

  constructor(message = 'The semaphore is closed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClosedError';
  }

  /** True for a `ClosedError` from any copy of `@x/semaphore`. */
  static is(value: unknown): value is ClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLOSED] === true;
  }
}
Object.defineProperty(ClosedError.prototype, CLOSED, { value: true });
