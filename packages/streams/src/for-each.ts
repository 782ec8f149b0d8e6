import { assertFunction, type CancellationToken } from '@x/core';
import { consume, sinkToken, type SinkOptions } from './internal/sink.js';
import { assertSource, type Source } from './internal/source.js';

/**
 * Calls `fn(item, token)` for each item, one at a time, awaiting it when it returns a
 * promise; resolves when the pipeline has ended.
 *
 * **Cancellation**: when `signal` fires, `fn`'s token is cancelled and a running call is
 * awaited, the whole pipeline is cleaned up (in-flight callbacks cancelled and awaited,
 * sources closed), then the promise rejects with `CancelledError` (`cause` = the reason).
 * An already-aborted signal starts nothing.
 *
 * **Errors**: when `fn` throws, the pipeline is closed and the promise rejects with that
 * error; a pipeline error is passed on unchanged. `TypeError` at once for a non-iterable
 * `iterable`, a non-function `fn` or a bad `signal`.
 *
 * @example
 * ```ts
 * await forEach(pipe(queue, batch(100)), (rows) => db.insert(rows), { signal });
 * ```
 */
export function forEach<T>(
  iterable: Source<T>,
  fn: (item: T, token: CancellationToken) => unknown,
  options?: SinkOptions,
): Promise<void> {
  assertSource('iterable', iterable);
  assertFunction('fn', fn);
  return consume(iterable, sinkToken(options), fn);
}
