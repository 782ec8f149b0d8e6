import { CancellationSource, type CancellationToken } from '@x/core';
import { DONE, isThenable } from './source.js';
import { Stage } from './stage.js';

/**
 * A stage that runs one callback at a time: `map` at concurrency 1, `filter`, `tap`.
 * `step(item, token)` returns the value to yield, or `SKIP`.
 */
export const SKIP: unique symbol = Symbol('skip');

export abstract class Sequential<T, U> extends Stage<T, U> {
  private readonly cancel = new CancellationSource();
  protected readonly token: CancellationToken = this.cancel.token;

  /** Runs the callback for `item`; returns what to yield, or `SKIP`. */
  protected abstract call(item: T): unknown;

  /** Turns the callback's settled result for `item` into what to yield, or `SKIP`. */
  protected abstract emit(item: T, result: unknown): U | typeof SKIP;

  async next(): Promise<IteratorResult<U, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      for (;;) {
        if (this.isClosed()) return DONE;
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
        const item = result.value;
        let value: unknown;
        try {
          value = this.call(item);
          if (isThenable(value)) {
            this.inflight = value;
            value = await value;
            this.inflight = undefined;
          }
        } catch (error) {
          this.inflight = undefined;
          if (this.isClosed()) return DONE;
          await this.shutdown(error, true);
          throw error;
        }
        if (this.isClosed()) return DONE;
        const out = this.emit(item, value);
        if (out !== SKIP) return { done: false, value: out };
      }
    } finally {
      this.leave();
    }
  }

  protected override onClose(reason: unknown): void {
    this.cancel.cancel(reason);
  }
}
