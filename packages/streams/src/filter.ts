import { assertFunction, type CancellationToken } from '@x/core';
import { Sequential, SKIP } from './internal/sequential.js';
import { assertSource, Lazy, open, type Pull } from './internal/source.js';
import type { Operator } from './pipe.js';

class Filter<T> extends Sequential<T, T> {
  private readonly fn: (item: T, token: CancellationToken) => unknown;

  constructor(source: Pull<T>, fn: (item: T, token: CancellationToken) => unknown) {
    super(source);
    this.fn = fn;
  }

  protected call(item: T): unknown {
    return this.fn(item, this.token);
  }

  protected emit(item: T, result: unknown): T | typeof SKIP {
    return result ? item : SKIP;
  }
}

/**
 * Keeps the items for which `fn(item, token)` is truthy (or resolves truthy). One call at a
 * time; a type-guard `fn` narrows the item type.
 *
 * **Cancellation**: when the consumer leaves early or `fn` fails, the running call's token
 * is cancelled, the call is awaited, then the source's `return()` is called.
 *
 * **Errors**: what `fn` or the source throws reaches the consumer unchanged. `TypeError` at
 * once for a non-function `fn`.
 *
 * @example
 * ```ts
 * const adults = pipe(users, filter((user) => user.age >= 18));
 * ```
 */
export function filter<T, S extends T>(fn: (item: T, token: CancellationToken) => item is S): Operator<T, S>;
export function filter<T>(fn: (item: T, token: CancellationToken) => unknown): Operator<T, T>;
export function filter<T>(fn: (item: T, token: CancellationToken) => unknown): Operator<T, T> {
  assertFunction('fn', fn);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new Filter(open(source), fn));
  };
}
