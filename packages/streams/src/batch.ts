import { assertInteger, assertNumber } from '@x/core';
import { assertSource, DONE, isThenable, Lazy, open, type Pull } from './internal/source.js';
import { Stage } from './internal/stage.js';
import type { Operator } from './pipe.js';

/** Options of {@link batch}. */
export interface BatchOptions {
  /**
   * Emit a partial batch once this many milliseconds have passed since its first item
   * arrived. Default: wait until the batch is full or the source ends.
   */
  readonly maxWaitMs?: number | undefined;
}

const TIMED_OUT: unique symbol = Symbol('timed out');

class Batch<T> extends Stage<T, T[]> {
  private readonly size: number;
  private readonly maxWaitMs: number | undefined;
  /** A pull that outlived the batch it was started for: the next batch begins with it. */
  private carried: PromiseLike<IteratorResult<T>> | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private fire: ((value: typeof TIMED_OUT) => void) | undefined = undefined;

  constructor(source: Pull<T>, size: number, maxWaitMs: number | undefined) {
    super(source);
    this.size = size;
    this.maxWaitMs = maxWaitMs;
  }

  async next(): Promise<IteratorResult<T[], undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      if (this.isClosed()) return DONE;
      return this.maxWaitMs === undefined ? await this.gather() : await this.gatherTimed(this.maxWaitMs);
    } finally {
      this.leave();
    }
  }

  /** Without `maxWaitMs`: a plain loop, kept apart so it stays small and fast. */
  private async gather(): Promise<IteratorResult<T[], undefined>> {
    const size = this.size;
    const source = this.source;
    const items: T[] = [];
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await source.next();
      } catch (error) {
        return this.sourceFailed(error);
      }
      if (this.isClosed()) return DONE;
      if (result.done === true) return this.ended(items);
      if (items.push(result.value) === size) return { done: false, value: items };
    }
  }

  private async gatherTimed(maxWaitMs: number): Promise<IteratorResult<T[], undefined>> {
    const size = this.size;
    const items: T[] = [];
    let deadline: Promise<typeof TIMED_OUT> | undefined;
    for (;;) {
      let result: IteratorResult<T>;
      try {
        const pull = this.carried ?? this.source.next();
        this.carried = undefined;
        if (deadline === undefined || !isThenable(pull)) {
          result = await pull;
        } else {
          this.carried = pull;
          const raced = await Promise.race([pull, deadline]);
          if (this.isClosed()) return DONE;
          if (raced === TIMED_OUT) return { done: false, value: items };
          this.carried = undefined;
          result = raced;
        }
      } catch (error) {
        this.carried = undefined;
        this.stopTimer();
        return this.sourceFailed(error);
      }
      if (this.isClosed()) return DONE;
      if (result.done === true) {
        this.stopTimer();
        return this.ended(items);
      }
      if (items.push(result.value) === size) {
        this.stopTimer();
        return { done: false, value: items };
      }
      deadline ??= this.startTimer(maxWaitMs);
    }
  }

  /** The source ended: the last, possibly partial, batch. */
  private ended(items: T[]): IteratorResult<T[], undefined> {
    this.sourceClosed = true;
    this.closed = true;
    return items.length === 0 ? DONE : { done: false, value: items };
  }

  private async sourceFailed(error: unknown): Promise<IteratorResult<T[], undefined>> {
    if (this.isClosed()) return DONE;
    this.sourceClosed = true;
    await this.shutdown(error, true);
    throw error;
  }

  protected override onClose(): void {
    const fire = this.fire;
    this.stopTimer();
    if (fire !== undefined) fire(TIMED_OUT);
  }

  private startTimer(ms: number): Promise<typeof TIMED_OUT> {
    return new Promise<typeof TIMED_OUT>((resolve) => {
      this.fire = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.fire = undefined;
        resolve(TIMED_OUT);
      }, ms);
    });
  }

  private stopTimer(): void {
    const timer = this.timer;
    this.fire = undefined;
    if (timer !== undefined) {
      this.timer = undefined;
      clearTimeout(timer);
    }
  }
}

/**
 * Groups items into arrays of `size`: a batch is emitted when it is full, when the source
 * ends (the last one may be shorter), or — with `maxWaitMs` — once that many milliseconds
 * have passed since its first item arrived.
 *
 * Lazy: a batch is gathered only when the consumer asks for one. With `maxWaitMs`, a pull
 * still pending when the time runs out is kept for the next batch (nothing is lost).
 *
 * **Cancellation**: when the consumer leaves early, the timer is cleared and the source's
 * `return()` is called; the partial batch is dropped.
 *
 * **Errors**: what the source throws reaches the consumer unchanged; the partial batch is
 * dropped. `RangeError`/`TypeError` at once when `size` is not an integer from 1 and up or
 * `maxWaitMs` is not a positive finite number.
 *
 * @example
 * ```ts
 * for await (const rows of pipe(events, batch(500, { maxWaitMs: 1_000 }))) await db.insert(rows);
 * ```
 */
export function batch<T>(size: number, options?: BatchOptions): Operator<T, T[]> {
  assertInteger('size', size, 1);
  const maxWaitMs = options?.maxWaitMs;
  if (maxWaitMs !== undefined) assertNumber('maxWaitMs', maxWaitMs, 0, true);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new Batch(open(source), size, maxWaitMs));
  };
}
