import { assertInteger } from '@x/core';
import { assertSource, DONE, Lazy, open, type Pull } from './internal/source.js';
import { PumpStage } from './internal/pump-stage.js';
import type { Operator } from './pipe.js';

/** One pulled item waiting for the consumer: a node of an intrusive FIFO list. */
class Item<T> {
  next: Item<T> | null = null;
  readonly value: T;

  constructor(value: T) {
    this.value = value;
  }
}

class ReadAhead<T> extends PumpStage<T, T> {
  private readonly capacity: number;
  private head: Item<T> | null = null;
  private tail: Item<T> | null = null;
  private size = 0;
  private started = false;
  /** The source ended (`done`): yield what is buffered, then finish. */
  private ended = false;
  /** The source failed: yield what is buffered, then throw this once. */
  private failure: { error: unknown } | undefined = undefined;
  private wake: (() => void) | undefined = undefined;

  constructor(source: Pull<T>, capacity: number) {
    super(source);
    this.capacity = capacity;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      if (!this.started) {
        this.started = true;
        this.fill();
      }
      for (;;) {
        if (this.isClosed()) return DONE;
        const head = this.head;
        if (head !== null) {
          this.head = head.next;
          if (head.next === null) this.tail = null;
          this.size--;
          this.fill();
          return { done: false, value: head.value };
        }
        const failure = this.failure;
        if (failure !== undefined) {
          this.failure = undefined;
          this.closed = true;
          throw failure.error;
        }
        if (this.ended) {
          this.closed = true;
          return DONE;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      this.leave();
    }
  }

  protected override onClose(): void {
    this.head = this.tail = null;
    this.size = 0;
    this.wakeConsumer();
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  /** Room while the buffer, counting the pull under way, is below capacity. */
  protected override hasRoom(): boolean {
    return this.size < this.capacity;
  }

  protected override sourceFailed(error: unknown): void {
    this.failure = { error };
    this.wakeConsumer();
  }

  protected override take(result: IteratorResult<T>): void {
    if (result.done === true) {
      this.sourceClosed = true;
      this.ended = true;
    } else {
      const item = new Item(result.value);
      const tail = this.tail;
      if (tail === null) this.head = item;
      else tail.next = item;
      this.tail = item;
      this.size++;
    }
    this.wakeConsumer();
  }
}

/**
 * Reads ahead: keeps pulling from the source while the consumer is busy, holding up to
 * `size` items (the pull under way included), so a slow producer and a slow consumer overlap.
 *
 * Lazy: nothing is pulled before the consumer's first `next()`. The source's order is kept;
 * when the source fails, the items pulled before the failure are yielded first, then the
 * error.
 *
 * **Cancellation**: when the consumer leaves early, buffered items are dropped and the
 * source's `return()` is called (also while a pull is under way).
 *
 * **Errors**: what the source throws reaches the consumer unchanged. `RangeError`/`TypeError`
 * at once when `size` is not an integer from 1 and up.
 *
 * @example
 * ```ts
 * const pages = pipe(crawl(site), buffer(16), map(parse));
 * ```
 */
export function buffer<T>(size: number): Operator<T, T> {
  assertInteger('size', size, 1);
  return (source) => {
    assertSource('source', source);
    return new Lazy(() => new ReadAhead(open(source), size));
  };
}
