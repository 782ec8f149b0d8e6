import { assertFunction, type CancellationToken } from '@x/core';
import { consume, sinkToken, type SinkOptions } from './internal/sink.js';
import { assertSource, isThenable, type Source } from './internal/source.js';

/**
 * Folds the pipeline into one value: `acc = await fn(acc, item, token)` for each item,
 * starting from `initial`.
 *
 * **Cancellation**: when `signal` fires, `fn`'s token is cancelled and a running call is
 * awaited, the whole pipeline is cleaned up, then the promise rejects with `CancelledError`
 * (`cause` = the reason). An already-aborted signal starts nothing.
 *
 * **Errors**: when `fn` throws, the pipeline is closed and the promise rejects with that
 * error; a pipeline error is passed on unchanged. `TypeError` at once for a non-iterable
 * `iterable`, a non-function `fn` or a bad `signal`.
 *
 * @example
 * ```ts
 * const total = await reduce(pipe(orders, map(price)), (sum, p) => sum + p, 0);
 * ```
 */
export function reduce<T, A>(
  iterable: Source<T>,
  fn: (accumulator: A, item: T, token: CancellationToken) => A | PromiseLike<A>,
  initial: A,
  options?: SinkOptions,
): Promise<A> {
  assertSource('iterable', iterable);
  assertFunction('fn', fn);
  const token = sinkToken(options);
  let accumulator = initial;
  return consume(iterable, token, (item: T, itemToken: CancellationToken) => {
    const next = fn(accumulator, item, itemToken);
    if (!isThenable(next)) {
      accumulator = next;
      return undefined;
    }
    return Promise.resolve(next).then((value) => {
      accumulator = value;
    });
  }).then(() => accumulator);
}
