import { WaitQueue } from '@x/core';
import { ClosedError } from '../closed-error.js';
import { ReadGuard } from '../read-guard.js';
import { WriteGuard } from '../write-guard.js';

/** What a waiter in the queue wants: `true` for a writer, `false` for a reader. */
export type WantsWrite = boolean;

/**
 * @internal The state of one lock, shared by the lock and its guards (so that a guard can give the lock
 * back without reaching into the lock's private fields).
 */
export class LockState {
  /** Readers holding the lock. */
  readers = 0;
  /** Whether a writer holds the lock. */
  writer = false;
  closed = false;
  closeReason: unknown = undefined;
  readonly queue: WaitQueue<ReadGuard | WriteGuard, WantsWrite>;

  constructor() {
    this.queue = new WaitQueue<ReadGuard | WriteGuard, WantsWrite>({
      // A waiter that leaves may have been the writer the readers behind it waited for.
      onLeave: () => {
        this.dispatch();
      },
      // Woken, but its signal fired before it resumed: give the lock straight back.
      onAbandon: (guard) => {
        guard.release();
      },
    });
  }

  /** Whether a reader may enter right now without overtaking anyone. */
  canRead(): boolean {
    return !this.writer && this.queue.isEmpty;
  }

  /** Whether a writer may enter right now without overtaking anyone. */
  canWrite(): boolean {
    return !this.writer && this.readers === 0 && this.queue.isEmpty;
  }

  /** A fresh `ClosedError` carrying the close reason. */
  closedError(): ClosedError {
    const reason = this.closeReason;
    return reason === undefined ? new ClosedError() : new ClosedError(undefined, { cause: reason });
  }

  releaseRead(): void {
    if (--this.readers === 0) this.dispatch();
  }

  releaseWrite(): void {
    this.writer = false;
    this.dispatch();
  }

  /** The writer becomes a reader in one step, then the readers at the head join it. */
  downgrade(): void {
    this.writer = false;
    this.readers++;
    this.dispatch();
  }

  /**
   * Hands the lock to the head of the queue: every reader up to the next writer enters
   * together; a writer at the head enters once nobody holds the lock.
   */
  dispatch(): void {
    const queue = this.queue;
    while (!this.writer && !queue.isEmpty) {
      if (queue.peek() === true) {
        if (this.readers !== 0) return;
        this.writer = true;
        queue.wake(new WriteGuard(this));
        return;
      }
      this.readers++;
      queue.wake(new ReadGuard(this));
    }
  }
}
