import { assertFunction, type CancellationToken } from '@x/core';
import { Sequential } from './internal/sequential.js';
import { assertSource, Lazy, open, type Pull } from './internal/source.js';
import type { Operator } from './pipe.js';

class Tap<T> extends Sequential<T, T> {
  private readonly fn: (item: T, token: CancellationToken) => unknown;

  constructor(source: Pull<T>, fn: (item: T, token: CancellationToken) => unknown) {
    super(source);
    this.fn = fn;
  }

  protected call(item: T): unknown {
    return this.fn(item, this.token);
  }

  protected emit(item: T): T {
    return item;
  }
}

/**
 * Runs `fn(item, token)` for each item (awaiting it when it returns a promise), then passes
 * the item on unchanged. For logging, metrics, progress.
 *
 * **Cancellation**: when the consumer leaves early or `fn` fails, the running call's token
 * is cancelled, the call is awaited, then the source's `return()` is called.
 *
 * **Errors**: what `fn` or the source throws reaches the consumer unchanged. `TypeError` at
 * once for a non-function `fn`.
 *
 * @example
 * ```ts
 * const logged = pipe(jobs, tap((job) => console.log('got', job.id)));
 * ```
 */
export function tap<T>(fn: (item: T, token: CancellationToken) => unknown): Operator<T, T> {
  assertFunction('fn', fn);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new Tap(open(source), fn));
  };
}
