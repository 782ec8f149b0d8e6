import { assertInteger } from '@x/core';
import { assertSource, DONE, Lazy, open, type Pull } from './internal/source.js';
import { closedReason, Stage } from './internal/stage.js';
import type { Operator } from './pipe.js';

class Take<T> extends Stage<T, T> {
  private left: number;
  /** What closing the source threw after the last item was handed out, for the next call. */
  private closeError: { error: unknown } | undefined = undefined;

  constructor(source: Pull<T>, count: number) {
    super(source);
    this.left = count;
  }

  protected onClose(): void {
    // No callbacks to cancel, no consumer parked: closing the source is all there is.
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      if (this.left === 0) {
        const closeError = this.closeError;
        if (closeError !== undefined) {
          this.closeError = undefined;
          throw closeError.error;
        }
        if (!this.isClosed()) await this.shutdown(closedReason(), false);
        return DONE;
      }
      if (this.isClosed()) return DONE;
      let result: IteratorResult<T>;
      try {
        result = await this.source.next();
      } catch (error) {
        if (this.isClosed()) return DONE;
        this.sourceClosed = true;
        this.closed = true;
        throw error;
      }
      if (this.isClosed()) return DONE;
      if (result.done === true) {
        this.sourceClosed = true;
        this.closed = true;
        return DONE;
      }
      if (--this.left === 0) {
        try {
          await this.shutdown(closedReason(), false);
        } catch (error) {
          this.closeError = { error };
        }
      }
      return { done: false, value: result.value };
    } finally {
      this.leave();
    }
  }
}

/**
 * Yields the first `count` items, then closes the source at once (its `return()` is called as
 * the last item is handed out, so upstream work is cancelled without waiting for another pull).
 * `take(0)` yields nothing and closes the source.
 *
 * **Errors**: what the source throws reaches the consumer unchanged; what its `return()`
 * throws is re-thrown by the call after the last item. `RangeError`/`TypeError` at once when
 * `count` is not an integer from 0 and up.
 *
 * @example
 * ```ts
 * const firstTen = await toArray(pipe(crawl(site), take(10)));
 * ```
 */
export function take<T>(count: number): Operator<T, T> {
  assertInteger('count', count, 0);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new Take(open(source), count));
  };
}
