const BRAND: unique symbol = Symbol.for('@x/supervisor/SupervisorError') as never;

/**
 * The error of a supervisor that refuses or has given up: `done` rejects with it when restart
 * intensity is exceeded (`cause` = the last child failure), and `start()` throws it once the
 * supervisor is stopping or stopped.
 *
 * Detection works across duplicate copies of the package: use {@link SupervisorError.is}
 * rather than `instanceof`.
 */
export class SupervisorError extends Error {
  declare readonly [BRAND]: true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SupervisorError';
  }

  /** True for a `SupervisorError` from any copy of `@x/supervisor`. */
  static is(value: unknown): value is SupervisorError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
Object.defineProperty(SupervisorError.prototype, BRAND, { value: true });
