import { CancelledError } from '@x/core';
import { DONE, type Pull } from './source.js';

/** The reason the tokens of a stage's callbacks carry when its consumer leaves early. */
export function closedReason(): CancelledError {
  return new CancelledError('The consumer closed the pipeline');
}

/** One `next()` call waiting for the one before it (a node of an intrusive FIFO list). */
class Turn {
  next: Turn | null = null;
  resolve!: () => void;
}

/**
 * What every single-source stage shares: a lane that serialises `next()` calls, and the
 * shutdown sequence: mark closed, cancel in-flight callbacks, wait for them, close the source.
 *
 * A stage answers `return()` at any time, also while a `next()` is pending: the pending call
 * resolves `done` once the work it waited for has been cancelled and has settled.
 */
export abstract class Stage<T, U> implements AsyncIterator<U, undefined> {
  protected readonly source: Pull<T>;
  /** The source finished (done or threw) or has been closed: never call `return()` on it again. */
  protected sourceClosed = false;
  /** The consumer left or the stage failed: nothing new starts. */
  protected closed = false;
  /** The callback the stage awaits right now (sequential stages). */
  protected inflight: PromiseLike<unknown> | undefined = undefined;
  /** A `next()` call is running. */
  protected busy = false;
  private turnHead: Turn | null = null;
  private turnTail: Turn | null = null;
  private closing: Promise<void> | undefined = undefined;

  constructor(source: Pull<T>) {
    this.source = source;
  }

  /** Whether the stage is closed (a method, so that checks after an `await` are not narrowed away). */
  protected isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  abstract next(): Promise<IteratorResult<U, undefined>>;

  /**
   * Leaves early: cancels in-flight callbacks, waits for them to settle, then closes the source.
   * Resolves `done`; rejects with what the source's own `return()` threw.
   */
  async return(): Promise<IteratorResult<U, undefined>> {
    await this.shutdown(closedReason(), false);
    return DONE;
  }

  /** Waits until the `next()` calls before this one have finished. */
  protected waitTurn(): Promise<void> {
    const turn = new Turn();
    const promise = new Promise<void>((resolve) => {
      turn.resolve = resolve;
    });
    const tail = this.turnTail;
    if (tail === null) this.turnHead = turn;
    else tail.next = turn;
    this.turnTail = turn;
    return promise;
  }

  /** Ends a `next()` call: hands the lane straight to the next caller, if any. */
  protected leave(): void {
    const turn = this.turnHead;
    if (turn === null) {
      this.busy = false;
      return;
    }
    this.turnHead = turn.next;
    if (turn.next === null) this.turnTail = null;
    turn.resolve();
  }

  /**
   * Closes the stage once, whoever asks first. `reason` reaches the callbacks' tokens. When
   * `quiet` (the stage failed), what the source's `return()` throws is dropped: the failure
   * is what the consumer gets.
   */
  protected shutdown(reason: unknown, quiet: boolean): Promise<void> {
    let shutdown = this.closing;
    if (shutdown === undefined) {
      this.closed = true;
      let hookError: { error: unknown } | undefined;
      try {
        this.onClose(reason);
      } catch (error) {
        hookError = { error };
      }
      shutdown = this.cleanup(quiet, hookError);
      this.closing = shutdown;
    }
    return shutdown;
  }

  /** Cancels in-flight callbacks and wakes a waiting `next()`. Runs synchronously, once. */
  protected abstract onClose(reason: unknown): void;

  /** Settles once no callback of this stage is running. Never rejects. */
  protected drain(): Promise<void> | undefined {
    const inflight = this.inflight;
    if (inflight === undefined) return undefined;
    return new Promise<void>((resolve) => {
      inflight.then(
        () => {
          resolve();
        },
        () => {
          resolve();
        },
      );
    });
  }

  /** Closes the source unless it is already closed. */
  protected closeSource(): unknown {
    if (this.sourceClosed) return undefined;
    this.sourceClosed = true;
    const source = this.source;
    return typeof source.return === 'function' ? source.return() : undefined;
  }

  private async cleanup(quiet: boolean, hookError: { error: unknown } | undefined): Promise<void> {
    const draining = this.drain();
    if (draining !== undefined) await draining;
    try {
      await this.closeSource();
    } catch (error) {
      if (!quiet) throw error;
    }
    if (hookError !== undefined && !quiet) throw hookError.error;
  }
}
