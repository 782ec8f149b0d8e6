const BUBBLE_UP: unique symbol = Symbol.for('@x/core/BubbleUp') as never;
const CANCELLED: unique symbol = Symbol.for('@x/core/CancelledError') as never;
const TIMEOUT: unique symbol = Symbol.for('@x/core/TimeoutError') as never;

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * An error that is a control-flow signal (an interrupt, a cancellation), not a failure.
 *
 * Every x primitive passes a `BubbleUp` through unchanged: it is never wrapped, retried,
 * restarted, cached or counted as a failure. Extend it for your own interrupts.
 *
 * Detection works across duplicate copies of `@x/core`: use {@link BubbleUp.is} or
 * {@link isBubbleUp} rather than `instanceof`.
 */
export class BubbleUp extends Error {
  declare readonly [BUBBLE_UP]: true;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BubbleUp';
  }

  /** True for a `BubbleUp` (or subclass) from any copy of `@x/core`. */
  static is(value: unknown): value is BubbleUp {
    return hasBrand(value, BUBBLE_UP);
  }
}
Object.defineProperty(BubbleUp.prototype, BUBBLE_UP, { value: true });

/**
 * The error a cancelled wait or task rejects with. Its `cause` is the cancellation reason.
 *
 * A `CancelledError` is a {@link BubbleUp}: primitives pass it through and never count it as a failure.
 */
export class CancelledError extends BubbleUp {
  declare readonly [CANCELLED]: true;

  constructor(message = 'The operation was cancelled', options?: ErrorOptions) {
    super(message, options);
    this.name = 'CancelledError';
  }

  /** True for a `CancelledError` from any copy of `@x/core`. */
  static override is(value: unknown): value is CancelledError {
    return hasBrand(value, CANCELLED);
  }
}
Object.defineProperty(CancelledError.prototype, CANCELLED, { value: true });

/**
 * The error a wait rejects with when its `timeout` runs out. A timeout is a failure, not a
 * cancellation: `isCancellation(new TimeoutError())` is false.
 */
export class TimeoutError extends Error {
  declare readonly [TIMEOUT]: true;

  constructor(message = 'The operation timed out', options?: ErrorOptions) {
    super(message, options);
    this.name = 'TimeoutError';
  }

  /** True for a `TimeoutError` from any copy of `@x/core`. */
  static is(value: unknown): value is TimeoutError {
    return hasBrand(value, TIMEOUT);
  }
}
Object.defineProperty(TimeoutError.prototype, TIMEOUT, { value: true });

/**
 * True when `error` means "this was cancelled": a {@link CancelledError} (from any copy of
 * `@x/core`) or any error named `AbortError` (DOM `DOMException`, Node's own `AbortError`).
 */
export function isCancellation(error: unknown): boolean {
  if (hasBrand(error, CANCELLED)) return true;
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * True when `error` is a control-flow signal to pass through unchanged: a {@link BubbleUp}
 * (which includes {@link CancelledError}) or any other cancellation ({@link isCancellation}).
 */
export function isBubbleUp(error: unknown): boolean {
  return hasBrand(error, BUBBLE_UP) || isCancellation(error);
}

/** A `CancelledError` whose `cause` is `reason`. */
export function cancelledError(reason: unknown): CancelledError {
  return new CancelledError(undefined, { cause: reason });
}
