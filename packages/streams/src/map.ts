import { assertFunction, assertInteger, describeValue, type CancellationToken } from '@x/core';
import { ConcurrentMap } from './internal/concurrent-map.js';
import { Sequential } from './internal/sequential.js';
import { assertSource, Lazy, open, type Pull, type Source } from './internal/source.js';
import type { Operator } from './pipe.js';

/** Options of {@link map}. */
export interface MapOptions {
  /**
   * How many callbacks may run at once, and how many results may wait to be yielded: an
   * integer from 1 and up, or `Infinity`. Default 1.
   */
  readonly concurrency?: number | undefined;
  /** `true` (default): yield results in source order. `false`: yield them as they complete. */
  readonly ordered?: boolean | undefined;
}

class SequentialMap<T, U> extends Sequential<T, U> {
  private readonly fn: (item: T, token: CancellationToken) => U | PromiseLike<U>;

  constructor(source: Pull<T>, fn: (item: T, token: CancellationToken) => U | PromiseLike<U>) {
    super(source);
    this.fn = fn;
  }

  protected call(item: T): unknown {
    return this.fn(item, this.token);
  }

  protected emit(_item: T, result: unknown): U {
    return result as U;
  }
}

/**
 * Transforms each item with `fn(item, token)`, running up to `concurrency` calls at once.
 *
 * Lazy and bounded: an item is pulled from the source only when the consumer asks for a
 * result, or to keep `concurrency` calls going; never more than `concurrency` items are
 * started and not yet yielded.
 *
 * **Cancellation**: when the consumer leaves early (`break`, `take`, a sink's `signal`) or a
 * call fails, the token of every running call is cancelled, those calls are awaited, then the
 * source's `return()` is called. No call starts after that.
 *
 * **Errors**: the first failure (of a call or of the source) is re-thrown to the consumer
 * unchanged, `BubbleUp`s included, once the cleanup above is done; results not yet yielded
 * are dropped. `TypeError`/`RangeError` at once for a non-function `fn`, a `concurrency` that
 * is not an integer from 1 and up (or `Infinity`), a non-boolean `ordered`, or a non-iterable
 * source.
 *
 * @example
 * ```ts
 * const pages = pipe(urls, map((url, token) => fetch(url, { signal: token.signal }), { concurrency: 8 }));
 * ```
 */
export function map<T, U>(
  fn: (item: T, token: CancellationToken) => U | PromiseLike<U>,
  options?: MapOptions,
): Operator<T, U> {
  assertFunction('fn', fn);
  let concurrency = 1;
  let ordered = true;
  if (options !== undefined) {
    if (options.concurrency !== undefined) {
      concurrency = options.concurrency;
      if (concurrency !== Infinity) assertInteger('concurrency', concurrency, 1);
    }
    const wanted: unknown = options.ordered;
    if (wanted !== undefined) {
      if (typeof wanted !== 'boolean') {
        throw new TypeError(`Expected \`ordered\` to be a boolean, got ${describeValue(wanted)}`);
      }
      ordered = wanted;
    }
  }
  if (concurrency === 1) {
    return (source) => {
      assertSource('source', source);
      return new Lazy(() => new SequentialMap(open(source), fn));
    };
  }
  return (source: Source<T>) => {
    assertSource('source', source);
    return new Lazy(() => new ConcurrentMap(open(source), fn, concurrency, ordered));
  };
}
