import { BubbleUp, CancelledError, isCancellation, type CancellationToken } from '@x/core';
import { functionList } from './internal/functions.js';
import { haltGroup, TaskGroup } from './task-group.js';

/** Options of {@link race}. */
export interface RaceOptions {
  /** Cancels every contender; `race` then rejects with `CancelledError`. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

type Contender<T> = (token: CancellationToken) => T | PromiseLike<T>;

/** The state of one `race` call. */
class Race<T> {
  decided = false;
  won = false;
  outcome: unknown = undefined;
  cancelled = false;
  cancellation: unknown = undefined;
  group: TaskGroup | undefined = undefined;

  async contend(fn: Contender<T>, token: CancellationToken): Promise<void> {
    let ok = false;
    let result: unknown;
    try {
      result = await fn(token);
      ok = true;
    } catch (error) {
      if (BubbleUp.is(error) && !isCancellation(error)) throw error;
      result = error;
    }
    if (this.decided) return;
    if (!ok && isCancellation(result)) {
      if (!this.cancelled) {
        this.cancelled = true;
        this.cancellation = result;
      }
      return;
    }
    this.decided = true;
    this.won = ok;
    this.outcome = result;
    haltGroup(this.group as TaskGroup, new CancelledError('Another task won the race'));
  }
}

/**
 * Runs every `fn(token)` at once; the first to settle wins — its value, or its error — and the
 * others are cancelled and awaited before `race` settles (`Promise.race` that cleans up).
 *
 * **Cancellation**: the losers' tokens are cancelled as soon as there is a winner. `signal`
 * firing before that cancels all and rejects with `CancelledError`; an already-cancelled
 * `signal` starts nothing. A contender that ends with a cancellation does not win; when all do,
 * `race` rejects with the first such cancellation.
 *
 * **Errors**: the winner's error, unchanged. What losers throw once cancelled is ignored, except
 * a `BubbleUp` that is not a cancellation, which passes through unchanged. `RangeError` for an
 * empty `fns`, `TypeError` for anything that is not a function (synchronously).
 *
 * @example
 * ```ts
 * const response = await race([
 *   (token) => fetch(primary, { signal: token.signal }),
 *   (token) => fetch(mirror, { signal: token.signal }),
 * ]);
 * ```
 */
export function race<T>(fns: Iterable<(token: CancellationToken) => T | PromiseLike<T>>, options?: RaceOptions): Promise<T> {
  const list = functionList('fns', fns);
  const state = new Race<T>();
  const outcome = TaskGroup.run(
    (group) => {
      state.group = group;
      for (const fn of list) group.spawn((token) => state.contend(fn, token));
    },
    options?.signal === undefined ? undefined : { signal: options.signal },
  );
  return settle(outcome, state);
}

async function settle<T>(outcome: Promise<void>, race: Race<T>): Promise<T> {
  try {
    await outcome;
  } catch (error) {
    // A bubble-up passes through; without a winner, so does the caller's cancellation.
    if (!race.decided || (BubbleUp.is(error) && !isCancellation(error))) throw error;
  }
  if (race.decided) {
    if (race.won) return race.outcome as T;
    throw race.outcome;
  }
  throw race.cancelled ? race.cancellation : new CancelledError('Every task of the race was cancelled');
}
