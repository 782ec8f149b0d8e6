const CLOSED: unique symbol = Symbol.for('@x/worker-pool/ClosedError') as never;

/**
 * The error a job's promise rejects with when its {@link WorkerPool} is closed before the job
 * could start: a job still queued when `close({ drain: false })` runs (or the pool's `signal`
 * fires), a `submit` still waiting for room in a full queue, and every `submit` after `close()`.
 * Its `cause` is the pool signal's reason when the signal closed the pool.
 *
 * Detection works across duplicate copies of `@x/worker-pool`: use {@link ClosedError.is}
 * rather than `instanceof`.
 *
 * @example
 * ```ts
 * try {
 *   await pool.submit(job);
 * } catch (error) {
 *   if (ClosedError.is(error)) return; // shutting down: the job never ran
 *   throw error;
 * }
 * ```
 */
export class ClosedError extends Error {
  declare readonly [CLOSED]: true;

  constructor(message = 'The worker pool is closed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClosedError';
  }

  /** True for a `ClosedError` from any copy of `@x/worker-pool`. */
  static is(value: unknown): value is ClosedError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLOSED] === true;
  }
}
Object.defineProperty(ClosedError.prototype, CLOSED, { value: true });
