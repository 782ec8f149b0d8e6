import { CancellationToken, cancelledError, isAborted, type CancellationToken as Token } from '@x/core';
import { isThenable, open, type Pull, type Source } from './source.js';

/** Options every sink accepts. */
export interface SinkOptions {
  /**
   * Cancels the whole pipeline: in-flight callbacks' tokens are cancelled and awaited, the
   * source is closed, and the sink rejects with `CancelledError` (`cause` = the reason).
   */
  readonly signal?: AbortSignal | CancellationToken | undefined;
}

const STOPPED: unique symbol = Symbol('stopped');

/** Calls `return()` on an iterator the consumer is leaving; what it throws is dropped. */
async function closeQuietly(iterator: Pull<unknown>): Promise<void> {
  if (typeof iterator.return !== 'function') return;
  try {
    await iterator.return();
  } catch {
    // The error (or cancellation) that made us leave is what the caller gets.
  }
}

/** The token of a sink's `signal`, checked up front (throws `TypeError` for a bad one). */
export function sinkToken(options: SinkOptions | undefined): Token {
  const signal = options?.signal;
  return signal === undefined ? CancellationToken.none : CancellationToken.from(signal);
}

/**
 * Reads `iterable` to the end, calling `visit(item, token)` for each item and awaiting it
 * when it returns a promise. Closes the iterator when `visit` throws or `token` is cancelled.
 */
export async function consume<T>(
  iterable: Source<T>,
  token: Token,
  visit: (item: T, token: Token) => unknown,
): Promise<void> {
  if (isAborted(token)) throw cancelledError(token.reason);
  const iterator = open(iterable);
  if (token === CancellationToken.none) {
    for (;;) {
      const result = await iterator.next();
      if (result.done === true) return;
      try {
        const pending = visit(result.value, token);
        if (isThenable(pending)) await pending;
      } catch (error) {
        await closeQuietly(iterator);
        throw error;
      }
    }
  }
  // The pull under way resolves early with STOPPED when the token is cancelled. One resolver
  // at a time (no race against a long-lived promise, whose reactions would pile up per item).
  let wake: ((value: typeof STOPPED) => void) | undefined;
  const registration = token.onCancel(() => {
    const resolve = wake;
    wake = undefined;
    if (resolve !== undefined) resolve(STOPPED);
  });
  try {
    for (;;) {
      const pull = iterator.next();
      let result: IteratorResult<T> | typeof STOPPED;
      if (isThenable(pull)) {
        result = await new Promise<IteratorResult<T> | typeof STOPPED>((resolve, reject) => {
          wake = resolve;
          pull.then(resolve, reject);
        });
        wake = undefined;
      } else {
        result = pull;
      }
      if (result === STOPPED || isAborted(token)) {
        await closeQuietly(iterator);
        throw cancelledError(token.reason);
      }
      if (result.done === true) return;
      try {
        const pending = visit(result.value, token);
        if (isThenable(pending)) await pending;
      } catch (error) {
        await closeQuietly(iterator);
        if (isAborted(token)) throw cancelledError(token.reason);
        throw error;
      }
      if (isAborted(token)) {
        await closeQuietly(iterator);
        throw cancelledError(token.reason);
      }
    }
  } finally {
    registration[Symbol.dispose]();
  }
}
