import { assertFunction, CancellationSource, type CancellationToken } from '@x/core';
import { assertSource, DONE, isThenable, Lazy, open, type Pull, type Source } from './internal/source.js';
import { Stage } from './internal/stage.js';
import type { Operator } from './pipe.js';

type Inner<U> = Source<U> | PromiseLike<Source<U>>;

class FlatMap<T, U> extends Stage<T, U> {
  private readonly fn: (item: T, token: CancellationToken) => Inner<U>;
  private readonly cancel = new CancellationSource();
  private inner: Pull<U> | undefined = undefined;

  constructor(source: Pull<T>, fn: (item: T, token: CancellationToken) => Inner<U>) {
    super(source);
    this.fn = fn;
  }

  async next(): Promise<IteratorResult<U, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      for (;;) {
        if (this.isClosed()) return DONE;
        const inner = this.inner;
        if (inner !== undefined) {
          // The inner pull is not awaited on shutdown: closing the inner iterable is what ends
          // it (an inner pipeline cancels its own callbacks when it is closed).
          let step: IteratorResult<U>;
          try {
            step = await inner.next();
          } catch (error) {
            this.inner = undefined;
            if (this.isClosed()) return DONE;
            await this.shutdown(error, true);
            throw error;
          }
          if (this.isClosed()) return DONE;
          if (step.done === true) {
            this.inner = undefined;
            continue;
          }
          return { done: false, value: step.value };
        }
        let result: IteratorResult<T>;
        try {
          result = await this.source.next();
        } catch (error) {
          if (this.isClosed()) return DONE;
          this.sourceClosed = true;
          await this.shutdown(error, true);
          throw error;
        }
        if (this.isClosed()) return DONE;
        if (result.done === true) {
          this.sourceClosed = true;
          this.closed = true;
          return DONE;
        }
        let iterable: unknown;
        try {
          iterable = this.fn(result.value, this.cancel.token);
          if (isThenable(iterable)) {
            this.inflight = iterable;
            iterable = await iterable;
            this.inflight = undefined;
          }
          assertSource('fn result', iterable);
        } catch (error) {
          this.inflight = undefined;
          if (this.isClosed()) return DONE;
          await this.shutdown(error, true);
          throw error;
        }
        if (this.isClosed()) {
          // Never opened: nothing to close.
          return DONE;
        }
        this.inner = open(iterable as Source<U>);
      }
    } finally {
      this.leave();
    }
  }

  protected override onClose(reason: unknown): void {
    this.cancel.cancel(reason);
  }

  protected override async closeSource(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    let innerError: { error: unknown } | undefined;
    if (inner !== undefined && typeof inner.return === 'function') {
      try {
        await inner.return();
      } catch (error) {
        innerError = { error };
      }
    }
    await super.closeSource();
    if (innerError !== undefined) throw innerError.error;
  }
}

/**
 * Maps each item to an iterable with `fn(item, token)` (sync or async, or a promise of one)
 * and yields its items in turn, one inner iterable at a time.
 *
 * **Cancellation**: when the consumer leaves early or something fails, the token is cancelled,
 * a running `fn` call is awaited, then the inner iterable's `return()` and the source's
 * `return()` are called, in that order (also while an inner pull is under way).
 *
 * **Errors**: what `fn`, an inner iterable or the source throws reaches the consumer
 * unchanged; `TypeError` when `fn` returns something that is not iterable. `TypeError` at
 * once for a non-function `fn`.
 *
 * @example
 * ```ts
 * const lines = pipe(files, flatMap((file) => readLines(file)));
 * ```
 */
export function flatMap<T, U>(
  fn: (item: T, token: CancellationToken) => Source<U> | PromiseLike<Source<U>>,
): Operator<T, U> {
  assertFunction('fn', fn);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new FlatMap(open(source), fn));
  };
}

