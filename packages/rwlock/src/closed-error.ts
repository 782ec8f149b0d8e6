const CLOSED: unique symbol = Symbol.for('@x/rwlock/ClosedError') as never;

/**
 * The error waiters and later calls reject with once {@link RWLock.close} has been called.
 * Its `cause` is the reason given to `close(reason)`.
 *
 * Detection works across duplicate copies of `@x/rwlock`: use {@link ClosedError.is} rather
 * than `instanceof`.
 *
 * @example
 * ```ts
 * try {
 *   await lock.withRead(() => serve(request));
 * } catch (error) {
 *   if (ClosedError.is(error)) return reply(503); // shutting down
 *   throw error;
 * }
 * ```
 */
export class ClosedError extends Error {
  declare readonly [CLOSED]: true;

  constructor(message = 'The lock is closed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClosedError';
  }

  /** True for a `ClosedError` from any copy of `@x/rwlock`. */
  static is(value: unknown): value is ClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLOSED] === true;
  }
}
Object.defineProperty(ClosedError.prototype, CLOSED, { value: true });
