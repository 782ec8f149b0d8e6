import { isThenable } from './source.js';
import { Stage } from './stage.js';

/**
 * A stage that reads ahead: it pulls from its source one item at a time, as long as the
 * subclass has room, whether or not the consumer is waiting (`buffer`, concurrent `map`).
 */
export abstract class PumpStage<T, U> extends Stage<T, U> {
  /** A `source.next()` is pending. */
  private pulling = false;

  /** Whether one more item may be pulled now. */
  protected abstract hasRoom(): boolean;
  /** Receives one pulled result (an item, or `done`). */
  protected abstract take(result: IteratorResult<T>): void;
  /** The source threw or rejected; it is already marked closed and the stage is still open. */
  protected abstract sourceFailed(error: unknown): void;

  /** Pulls while there is room. One pull at a time. */
  protected fill(): void {
    while (!this.isClosed() && !this.pulling && !this.sourceClosed && this.hasRoom()) {
      let result: IteratorResult<T> | PromiseLike<IteratorResult<T>>;
      try {
        result = this.source.next();
      } catch (error) {
        this.failSource(error);
        return;
      }
      if (isThenable(result)) {
        this.pulling = true;
        result.then(this.onPull, this.onPullError);
        return;
      }
      this.take(result);
    }
  }

  private readonly onPull = (result: IteratorResult<T>): void => {
    this.pulling = false;
    if (this.isClosed()) return;
    this.take(result);
    this.fill();
  };

  private readonly onPullError = (error: unknown): void => {
    this.pulling = false;
    this.failSource(error);
  };

  private failSource(error: unknown): void {
    this.sourceClosed = true;
    if (this.isClosed()) return;
    this.sourceFailed(error);
  }
}
