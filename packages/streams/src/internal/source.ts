import { describeValue } from '@x/core';

/** Anything a pipeline can read from: an async iterable, or a sync one (read as is). */
export type Source<T> = AsyncIterable<T> | Iterable<T>;

/**
 * What a stage reads from: an async iterator, or a sync one whose `next()` returns its
 * result directly (awaiting it costs one microtask and no promise of ours).
 */
export interface Pull<T> {
  next(): IteratorResult<T> | PromiseLike<IteratorResult<T>>;
  return?(): unknown;
}

/** The result every finished stage answers with. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Throws a `TypeError` naming `name` unless `value` is a sync or async iterable. */
export function assertSource(name: string, value: unknown): asserts value is Source<unknown> {
  if (
    typeof value !== 'object' && typeof value !== 'string' ||
    value === null ||
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function' &&
      typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`Expected \`${name}\` to be an iterable or an async iterable, got ${describeValue(value)}`);
  }
}

/** Opens an iterator over `source`, preferring its async protocol. */
export function open<T>(source: Source<T>): Pull<T> {
  const asyncOpen = (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
  if (typeof asyncOpen === 'function') return asyncOpen.call(source);
  return (source as Iterable<T>)[Symbol.iterator]();
}

/** True when `value` has a `then` method (a promise from any realm or library). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Resolves once `value` has settled, never rejects. */
export function settled(value: PromiseLike<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    value.then(
      () => {
        resolve();
      },
      () => {
        resolve();
      },
    );
  });
}

/** An async iterable that opens a fresh iterator each time it is iterated. */
export class Lazy<U> implements AsyncIterable<U> {
  readonly #open: () => AsyncIterator<U>;

  constructor(openIterator: () => AsyncIterator<U>) {
    this.#open = openIterator;
  }

  [Symbol.asyncIterator](): AsyncIterator<U> {
    return this.#open();
  }
}
