const BRAND: unique symbol = Symbol.for('@x/task-group/ClosedError') as never;

/**
 * What `spawn` throws on a {@link TaskGroup} that has finished: once every task has settled
 * and the group has reported, nothing can join it any more.
 */
export class ClosedError extends Error {
  declare readonly [BRAND]: true;

  constructor(message = 'The task group has finished: spawn is no longer allowed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClosedError';
  }

  /** True for a `ClosedError` from any copy of `@x/task-group`. */
  static is(value: unknown): value is ClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
Object.defineProperty(ClosedError.prototype, BRAND, { value: true });
