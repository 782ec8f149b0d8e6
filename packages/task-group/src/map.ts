import { assertFunction, assertInteger, describeValue, type CancellationToken } from '@x/core';
import { TaskGroup } from './task-group.js';

/** Options of {@link map}. */
export interface MapOptions {
  /** How many calls of `fn` run at once: an integer from 1, or `Infinity` (the default). */
  readonly concurrency?: number | undefined;
  /** Cancels every call in flight and stops pulling items; `map` then rejects with `CancelledError`. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

type Mapper<T, R> = (item: T, token: CancellationToken) => R | PromiseLike<R>;

const ARRAY = 0;
const SYNC = 1;
const ASYNC = 2;

/** The shared state of one `map` call: its workers take turns pulling the next item. */
class MapRun<T, R> {
  readonly results: R[];
  readonly kind: number;
  readonly items: Iterable<T> | AsyncIterable<T>;
  readonly fn: Mapper<T, R>;
  readonly concurrency: number;
  readonly group: TaskGroup;
  iterator: Iterator<T> | AsyncIterator<T> | undefined = undefined;
  /** The index the next pulled item gets. */
  index = 0;
  /** How many items were pulled (the length of the result). */
  count = 0;
  /** The source is exhausted, broke, or has been closed. */
  done = false;
  workers = 0;
  /** Pulls from an async source, one after the other. */
  chain: Promise<unknown> = Promise.resolve();

  constructor(items: Iterable<T> | AsyncIterable<T>, kind: number, fn: Mapper<T, R>, concurrency: number, group: TaskGroup) {
    this.items = items;
    this.kind = kind;
    this.fn = fn;
    this.concurrency = concurrency;
    this.group = group;
    this.results = kind === ARRAY ? new Array<R>((items as readonly T[]).length) : [];
  }

  /** Starts one more worker, unless enough run or the group is stopping. */
  grow(): void {
    if (this.workers < this.concurrency && !this.done && !this.group.token.isCancelled) {
      this.group.spawn((token) => work(this, token));
    }
  }

  /** Closes the source when the workers stopped before it was exhausted. */
  async close(): Promise<void> {
    const iterator = this.iterator;
    if (iterator?.return === undefined) return;
    await iterator.return();
  }
}

async function work<T, R>(run: MapRun<T, R>, token: CancellationToken): Promise<void> {
  run.workers++;
  try {
    if (run.kind === ARRAY) await workArray(run, token);
    else await workIterator(run, token);
  } finally {
    if (--run.workers === 0 && !run.done) {
      run.done = true;
      await run.close();
    }
  }
}

async function workArray<T, R>(run: MapRun<T, R>, token: CancellationToken): Promise<void> {
  const items = run.items as readonly T[];
  const results = run.results;
  const fn = run.fn;
  const length = items.length;
  for (;;) {
    const index = run.index;
    if (index >= length) {
      run.done = true;
      return;
    }
    if (token.isCancelled) return;
    run.index = index + 1;
    if (index + 1 < length) run.grow();
    results[index] = await fn(items[index] as T, token);
  }
}

async function workIterator<T, R>(run: MapRun<T, R>, token: CancellationToken): Promise<void> {
  const results = run.results;
  const fn = run.fn;
  for (;;) {
    if (run.done || token.isCancelled) return;
    const index = run.index++;
    let step: IteratorResult<T>;
    try {
      if (run.kind === SYNC) {
        step = ((run.iterator ??= (run.items as Iterable<T>)[Symbol.iterator]()) as Iterator<T>).next();
      } else {
        const iterator = (run.iterator ??= (run.items as AsyncIterable<T>)[Symbol.asyncIterator]()) as AsyncIterator<T>;
        const pulled = run.chain.then(() => iterator.next());
        run.chain = pulled.then(noop, noop);
        step = await pulled;
      }
    } catch (error) {
      run.done = true;
      throw error;
    }
    if (step.done === true) {
      run.done = true;
      return;
    }
    run.count = Math.max(run.count, index + 1);
    run.grow();
    results[index] = await fn(step.value, token);
  }
}

function noop(): void {}

function sourceKind(items: unknown): number {
  if (Array.isArray(items)) return ARRAY;
  if (typeof items === 'object' && items !== null) {
    if (typeof (items as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function') return ASYNC;
    if (typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return SYNC;
  } else if (typeof items === 'string') {
    return SYNC;
  }
  throw new TypeError(`Expected \`items\` to be an iterable or an async iterable, got ${describeValue(items)}`);
}

/**
 * Calls `fn(item, token)` for every item, at most `concurrency` at a time, and resolves with the
 * results in input order — a {@link TaskGroup} underneath, so a failure stops everything.
 *
 * Accepts arrays, iterables and async iterables; items are pulled lazily, one per free slot,
 * and an async source is never asked for two items at once.
 *
 * **Cancellation**: the first failure, or `signal` firing, cancels the token of every call in
 * flight and stops pulling; the calls in flight are awaited and the source is closed (its
 * `return()` is called) before `map` rejects. An already-cancelled `signal` starts nothing.
 *
 * **Fairness**: items start in source order.
 *
 * **Errors**: a {@link TaskGroupError} with every failure (a pull from the source that throws
 * is one), in the order they happened; `CancelledError` when `signal` fired and nothing failed;
 * a `BubbleUp` unchanged. `TypeError` / `RangeError` for bad arguments, synchronously.
 *
 * @example
 * ```ts
 * const pages = await map(urls, async (url, token) => {
 *   const response = await fetch(url, { signal: token.signal });
 *   return response.text();
 * }, { concurrency: 16 });
 * ```
 */
export function map<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, token: CancellationToken) => R | PromiseLike<R>,
  options?: MapOptions,
): Promise<R[]> {
  const kind = sourceKind(items);
  assertFunction('fn', fn);
  let concurrency = Infinity;
  if (options !== undefined) {
    const limit = options.concurrency;
    if (limit !== undefined && limit !== Infinity) assertInteger('concurrency', limit, 1);
    if (limit !== undefined) concurrency = limit;
  }
  return TaskGroup.run(
    (group) => {
      const run = new MapRun<T, R>(items, kind, fn, concurrency, group);
      run.grow();
      return run;
    },
    options?.signal === undefined ? undefined : { signal: options.signal },
  ).then(resultsOf);
}

function resultsOf<T, R>(run: MapRun<T, R>): R[] {
  const results = run.results;
  if (run.kind !== ARRAY) results.length = run.count;
  return results;
}
