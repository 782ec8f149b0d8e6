import { CancellationSource, type CancellationToken } from '@x/core';
import { DONE, isThenable, type Pull } from './source.js';
import { PumpStage } from './pump-stage.js';

const PENDING = 0;
const READY = 1;

/** One started callback: a node of the list of results waiting to be yielded. */
class Slot<U> {
  next: Slot<U> | null = null;
  state: typeof PENDING | typeof READY = PENDING;
  value: U | undefined = undefined;
}

/**
 * `map` with `concurrency > 1`: keeps up to `limit` callbacks started but not yet yielded,
 * pulling from the source one item at a time. Ordered results are yielded in source order
 * (the list holds every started slot); unordered ones as they complete (the list holds only
 * completed slots).
 */
export class ConcurrentMap<T, U> extends PumpStage<T, U> {
  private readonly fn: (item: T, token: CancellationToken) => U | PromiseLike<U>;
  private readonly limit: number;
  private readonly ordered: boolean;
  private readonly cancel = new CancellationSource();
  /** Callbacks running. */
  private active = 0;
  /** Callbacks started whose result has not been yielded yet (running or ready). */
  private window = 0;
  private head: Slot<U> | null = null;
  private tail: Slot<U> | null = null;
  /** The failure to deliver to the consumer, once. */
  private failure: { error: unknown } | undefined = undefined;
  private wake: (() => void) | undefined = undefined;
  private drained: (() => void) | undefined = undefined;

  constructor(
    source: Pull<T>,
    fn: (item: T, token: CancellationToken) => U | PromiseLike<U>,
    limit: number,
    ordered: boolean,
  ) {
    super(source);
    this.fn = fn;
    this.limit = limit;
    this.ordered = ordered;
  }

  async next(): Promise<IteratorResult<U, undefined>> {
    if (this.busy) await this.waitTurn();
    else this.busy = true;
    try {
      for (;;) {
        const failure = this.failure;
        if (failure !== undefined) {
          this.failure = undefined;
          await this.shutdown(failure.error, true);
          throw failure.error;
        }
        if (this.isClosed()) return DONE;
        const head = this.head;
        if (head !== null && head.state === READY) {
          this.head = head.next;
          if (head.next === null) this.tail = null;
          this.window--;
          this.fill();
          return { done: false, value: head.value as U };
        }
        if (this.sourceClosed && this.window === 0) {
          this.closed = true;
          return DONE;
        }
        this.fill();
        if (this.failure === undefined && !this.isClosed() && (this.head === null || this.head.state !== READY)) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      }
    } finally {
      this.leave();
    }
  }

  protected override onClose(reason: unknown): void {
    try {
      this.cancel.cancel(reason);
    } finally {
      this.head = this.tail = null;
      this.wakeConsumer();
    }
  }

  protected override drain(): Promise<void> | undefined {
    if (this.active === 0) return undefined;
    return new Promise<void>((resolve) => {
      this.drained = resolve;
    });
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  protected override hasRoom(): boolean {
    return this.window < this.limit;
  }

  protected override sourceFailed(error: unknown): void {
    this.fail(error);
  }

  protected override take(result: IteratorResult<T>): void {
    if (result.done === true) {
      this.sourceClosed = true;
      this.wakeConsumer();
      return;
    }
    this.start(result.value);
  }

  private start(item: T): void {
    const slot = new Slot<U>();
    this.window++;
    this.active++;
    if (this.ordered) this.append(slot);
    let value: U | PromiseLike<U>;
    try {
      value = this.fn(item, this.cancel.token);
    } catch (error) {
      this.settle();
      this.fail(error);
      return;
    }
    if (isThenable(value)) {
      value.then(
        (resolved) => {
          this.complete(slot, resolved);
        },
        (error: unknown) => {
          this.settle();
          this.fail(error);
        },
      );
    } else {
      this.complete(slot, value);
    }
  }

  private append(slot: Slot<U>): void {
    const tail = this.tail;
    if (tail === null) this.head = slot;
    else tail.next = slot;
    this.tail = slot;
  }

  private complete(slot: Slot<U>, value: U): void {
    this.settle();
    if (this.isClosed()) return;
    slot.state = READY;
    slot.value = value;
    if (!this.ordered) this.append(slot);
    this.wakeConsumer();
  }

  /** A callback has settled: let a waiting shutdown proceed when none is left. */
  private settle(): void {
    if (--this.active === 0) {
      const drained = this.drained;
      if (drained !== undefined) {
        this.drained = undefined;
        drained();
      }
    }
  }

  private fail(error: unknown): void {
    if (this.isClosed()) return;
    this.failure = { error };
    void this.shutdown(error, true);
    this.wakeConsumer();
  }
}
