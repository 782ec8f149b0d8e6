import { assertSource, DONE, isThenable, Lazy, open, type Pull, type Source } from './internal/source.js';
import { Stage } from './internal/stage.js';

/** The item type of a tuple of sources. */
export type SourceItem<S> = S extends Source<infer T> ? T : never;

/** One source of a merge and its one pull at a time. */
class Input<T> {
  readonly source: Pull<T>;
  /** Finished, failed or closed: never pull from or close it again. */
  done = false;
  /** A pull is pending, or its item waits in the queue: do not pull again yet. */
  busy = false;
  readonly onValue: (result: IteratorResult<T>) => void;
  readonly onError: (error: unknown) => void;

  constructor(source: Pull<T>, merged: Merged<T>) {
    this.source = source;
    this.onValue = (result) => {
      merged.arrived(this, result);
    };
    this.onError = (error) => {
      merged.failed(this, error);
    };
  }
}

/** An arrived item: a node of the FIFO list the consumer reads from. */
class Arrival<T> {
  next: Arrival<T> | null = null;
  readonly value: T;
  readonly input: Input<T>;

  constructor(value: T, input: Input<T>) {
    this.value = value;
    this.input = input;
  }
}

/** Calls `return()` on a source; a synchronous throw becomes a rejection. */
async function close(source: Pull<unknown>): Promise<void> {
  await source.return?.();
}

const NO_SOURCE: Pull<never> = {
  next: () => DONE,
};

class Merged<T> extends Stage<never, T> {
  private readonly inputs: Input<T>[];
  private open: number;
  private started = false;
  private head: Arrival<T> | null = null;
  private tail: Arrival<T> | null = null;
  private failure: { error: unknown } | undefined = undefined;
  private wake: (() => void) | undefined = undefined;

  constructor(sources: readonly Source<T>[]) {
    super(NO_SOURCE);
    this.inputs = sources.map((source) => new Input(open(source), this));
    this.open = this.inputs.length;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      if (!this.started) {
        this.started = true;
        for (const input of this.inputs) this.pull(input);
      }
      for (;;) {
        const failure = this.failure;
        if (failure !== undefined) {
          this.failure = undefined;
          await this.shutdown(failure.error, true);
          throw failure.error;
        }
        if (this.isClosed()) return DONE;
        const head = this.head;
        if (head !== null) {
          this.head = head.next;
          if (head.next === null) this.tail = null;
          head.input.busy = false;
          this.pull(head.input);
          return { done: false, value: head.value };
        }
        if (this.open === 0) {
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

  /** @internal An input's pull resolved. */
  arrived(input: Input<T>, result: IteratorResult<T>): void {
    if (input.done) return;
    if (result.done === true) {
      input.done = true;
      input.busy = false;
      this.open--;
    } else {
      const arrival = new Arrival(result.value, input);
      const tail = this.tail;
      if (tail === null) this.head = arrival;
      else tail.next = arrival;
      this.tail = arrival;
    }
    this.wakeConsumer();
  }

  /** @internal An input's pull rejected: close the others, then fail. */
  failed(input: Input<T>, error: unknown): void {
    if (input.done) return;
    input.done = true;
    this.open--;
    if (this.isClosed()) return;
    this.failure = { error };
    void this.shutdown(error, true);
    this.wakeConsumer();
  }

  protected override onClose(): void {
    this.head = this.tail = null;
    this.wakeConsumer();
  }

  protected override async closeSource(): Promise<void> {
    const closing: unknown[] = [];
    for (const input of this.inputs) {
      if (input.done) continue;
      input.done = true;
      const source = input.source;
      if (typeof source.return === 'function') closing.push(close(source));
    }
    const results = await Promise.allSettled(closing);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  private pull(input: Input<T>): void {
    if (input.done || input.busy || this.isClosed()) return;
    input.busy = true;
    let result: IteratorResult<T> | PromiseLike<IteratorResult<T>>;
    try {
      result = input.source.next();
    } catch (error) {
      this.failed(input, error);
      return;
    }
    if (isThenable(result)) result.then(input.onValue, input.onError);
    else this.arrived(input, result);
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }
}

/**
 * Interleaves several sources: yields their items as they arrive, and finishes when all of
 * them have.
 *
 * Lazy and bounded: every source is opened at the consumer's first `next()`; each source has
 * at most one pull under way or one item waiting, so a fast source cannot run ahead of the
 * consumer. Items waiting are yielded in arrival order.
 *
 * **Cancellation**: when the consumer leaves early, `return()` is called on every source
 * that has not finished, at once (also those with a pull under way), and awaited.
 *
 * **Errors**: the first source to fail wins: `return()` is called on the others, items
 * waiting are dropped, and the error reaches the consumer unchanged. `TypeError` at once for
 * a source that is not iterable.
 *
 * @example
 * ```ts
 * for await (const event of merge(clicks, keys, timer)) handle(event);
 * ```
 */
export function merge<S extends readonly Source<unknown>[]>(...sources: S): AsyncIterable<SourceItem<S[number]>> {
  for (let i = 0; i < sources.length; i++) assertSource(`sources[${i}]`, sources[i]);
  return new Lazy(() => new Merged(sources as readonly Source<SourceItem<S[number]>>[]));
}
