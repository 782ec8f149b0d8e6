import { consume, sinkToken, type SinkOptions } from './internal/sink.js';
import { assertSource, type Source } from './internal/source.js';

/**
 * Reads the whole pipeline into an array.
 *
 * **Cancellation**: when `signal` fires, the whole pipeline is cleaned up (in-flight
 * callbacks cancelled and awaited, sources closed), then the promise rejects with
 * `CancelledError` (`cause` = the reason). An already-aborted signal starts nothing.
 *
 * **Errors**: rejects with the pipeline's error, unchanged. `TypeError` at once when
 * `iterable` is not iterable or `signal` is neither an AbortSignal nor a CancellationToken.
 *
 * @example
 * ```ts
 * const users = await toArray(pipe(ids, map(loadUser, { concurrency: 4 })), { signal });
 * ```
 */
export function toArray<T>(iterable: Source<T>, options?: SinkOptions): Promise<T[]> {
  assertSource('iterable', iterable);
  const token = sinkToken(options);
  const items: T[] = [];
  return consume(iterable, token, (item: T) => {
    items.push(item);
  }).then(() => items);
}
