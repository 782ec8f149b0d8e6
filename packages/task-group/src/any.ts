import { BubbleUp, CancelledError, isCancellation, type CancellationToken } from '@x/core';
import { functionList } from './internal/functions.js';
import { haltGroup, TaskGroup } from './task-group.js';
import { TaskGroupError } from './task-group-error.js';

/** Options of {@link any}. */
export interface AnyOptions {
  /** Cancels every contender; `any` then rejects with `CancelledError`. */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

type Contender<T> = (token: CancellationToken) => T | PromiseLike<T>;

/** The state of one `any` call. */
class Any<T> {
  won = false;
  value: T | undefined = undefined;
  readonly failures: unknown[] = [];
  cancelled = false;
  cancellation: unknown = undefined;
  group: TaskGroup | undefined = undefined;

  async contend(fn: Contender<T>, token: CancellationToken): Promise<void> {
    let value: T;
    try {
      value = await fn(token);
    } catch (error) {
      if (BubbleUp.is(error) && !isCancellation(error)) throw error;
      if (this.won) return;
      if (!isCancellation(error)) this.failures.push(error);
      else if (!this.cancelled) {
        this.cancelled = true;
        this.cancellation = error;
      }
      return;
    }
    if (this.won) return;
    this.won = true;
    this.value = value;
    haltGroup(this.group as TaskGroup, new CancelledError('Another task succeeded first'));
  }
}

/**
 * Runs every `fn(token)` at once; the first to succeed wins, and the others are cancelled and
 * awaited before `any` resolves (`Promise.any` that cleans up).
 *
 * **Cancellation**: the others' tokens are cancelled as soon as one succeeds. `signal` firing
 * before that cancels all and rejects with `CancelledError`; an already-cancelled `signal`
 * starts nothing.
 *
 * **Errors**: when none succeeds, a {@link TaskGroupError} with every failure in the order they
 * happened (cancellations left out; when every contender was cancelled, the first cancellation).
 * What the others throw once cancelled is ignored, except a `BubbleUp` that is not a
 * cancellation, which passes through unchanged. `RangeError` for an empty `fns`, `TypeError`
 * for anything that is not a function (synchronously).
 *
 * @example
 * ```ts
 * const config = await any([
 *   (token) => readLocalConfig(token),
 *   (token) => fetchRemoteConfig(token),
 * ]);
 * ```
 */
export function any<T>(fns: Iterable<(token: CancellationToken) => T | PromiseLike<T>>, options?: AnyOptions): Promise<T> {
  const list = functionList('fns', fns);
  const state = new Any<T>();
  const outcome = TaskGroup.run(
    (group) => {
      state.group = group;
      for (const fn of list) group.spawn((token) => state.contend(fn, token));
    },
    options?.signal === undefined ? undefined : { signal: options.signal },
  );
  return settle(outcome, state);
}

async function settle<T>(outcome: Promise<void>, any: Any<T>): Promise<T> {
  try {
    await outcome;
  } catch (error) {
    // A bubble-up passes through; without a winner, so does the caller's cancellation.
    if (!any.won || (BubbleUp.is(error) && !isCancellation(error))) throw error;
  }
  if (any.won) return any.value as T;
  if (any.failures.length > 0) throw new TaskGroupError(any.failures);
  throw any.cancelled ? any.cancellation : new CancelledError('Every task was cancelled');
}
