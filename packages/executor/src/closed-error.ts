const BRAND: unique symbol = Symbol.for('@x/executor/ClosedError') as never;

/**
 * The error `submit` throws once the executor has closed (its `close()` has finished waiting
 * for every task).
 *
 * Detection works across duplicate copies of the package: use {@link ClosedError.is} rather
 * than `instanceof`.
 */
export class ClosedError extends Error {
  declare readonly [BRAND]: true;

  constructor(message = 'The executor is closed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClosedError';
  }

  /** True for a `ClosedError` from any copy of `@x/executor`. */
  static is(value: unknown): value is ClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
Object.defineProperty(ClosedError.prototype, BRAND, { value: true });
