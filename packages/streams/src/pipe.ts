import { assertFunction } from '@x/core';
import { assertSource, Lazy, open, type Source } from './internal/source.js';

/**
 * A pipeline step: takes an iterable (async or sync) and returns an async iterable.
 * `map`, `filter`, `batch`, ... return one; write your own as a plain function.
 */
export type Operator<T, U> = (source: Source<T>) => AsyncIterable<U>;

class SyncToAsync<T> implements AsyncIterator<T> {
  readonly #iterator: Iterator<T>;

  constructor(iterator: Iterator<T>) {
    this.#iterator = iterator;
  }

  // Async so that a synchronous throw becomes a rejection, as the async protocol expects.
  // eslint-disable-next-line @typescript-eslint/require-await
  async next(): Promise<IteratorResult<T>> {
    return this.#iterator.next();
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async return(): Promise<IteratorResult<T>> {
    const iterator = this.#iterator;
    return typeof iterator.return === 'function' ? iterator.return() : { done: true, value: undefined };
  }
}

function asAsync<T>(source: Source<T>): AsyncIterable<T> {
  if (typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function') {
    return source as AsyncIterable<T>;
  }
  return new Lazy(() => new SyncToAsync(open(source) as Iterator<T>));
}

/**
 * Composes a pipeline: `pipe(source, op1, op2, ...)` is `op2(op1(source))`, with the item
 * type inferred through every step.
 *
 * Nothing runs until the result is iterated (by `for await` or a sink such as
 * {@link toArray}); each iteration opens the source afresh.
 *
 * **Errors**: `TypeError` at once when `source` is not iterable or an operator is not a function.
 *
 * @example
 * ```ts
 * const rows = await toArray(pipe(ids, map(load, { concurrency: 4 }), filter((row) => row.active), take(10)));
 * ```
 */
export function pipe<A>(source: Source<A>): AsyncIterable<A>;
export function pipe<A, B>(source: Source<A>, op1: Operator<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(source: Source<A>, op1: Operator<A, B>, op2: Operator<B, C>): AsyncIterable<C>;
export function pipe<A, B, C, D>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
): AsyncIterable<D>;
export function pipe<A, B, C, D, E>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
): AsyncIterable<E>;
export function pipe<A, B, C, D, E, F>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
): AsyncIterable<F>;
export function pipe<A, B, C, D, E, F, G>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
): AsyncIterable<G>;
export function pipe<A, B, C, D, E, F, G, H>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
): AsyncIterable<H>;
export function pipe<A, B, C, D, E, F, G, H, I>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
): AsyncIterable<I>;
export function pipe<A, B, C, D, E, F, G, H, I, J>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
): AsyncIterable<J>;
export function pipe<A, B, C, D, E, F, G, H, I, J, K>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
  op10: Operator<J, K>,
): AsyncIterable<K>;
export function pipe<A, B, C, D, E, F, G, H, I, J, K, L>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
  op10: Operator<J, K>,
  op11: Operator<K, L>,
): AsyncIterable<L>;
export function pipe<A, B, C, D, E, F, G, H, I, J, K, L, M>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
  op8: Operator<H, I>,
  op9: Operator<I, J>,
  op10: Operator<J, K>,
  op11: Operator<K, L>,
  op12: Operator<L, M>,
): AsyncIterable<M>;
export function pipe(source: Source<unknown>, ...operators: Operator<unknown, unknown>[]): AsyncIterable<unknown>;
export function pipe(source: Source<unknown>, ...operators: Operator<unknown, unknown>[]): AsyncIterable<unknown> {
  assertSource('source', source);
  for (let i = 0; i < operators.length; i++) assertFunction(`operators[${i}]`, operators[i]);
  let current: Source<unknown> = source;
  for (const operator of operators) current = operator(current);
  return asAsync(current);
}
