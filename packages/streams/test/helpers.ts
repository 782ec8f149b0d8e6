// Test sources that record what a pipeline did to them.

/** What a tracked source saw. `closes` counts finishing on its own plus `return()` calls before that. */
export interface SourceLog {
  pulls: number;
  returns: number;
  closes: number;
  finished: boolean;
}

/**
 * An async iterable over `items` that records pulls and closes. With `failAt`, the pull of
 * that index throws `error`. Each iteration has its own log (the last one is `log`).
 */
export function tracked<T>(items: readonly T[], options: { failAt?: number; error?: unknown } = {}): AsyncIterable<T> & { log: SourceLog } {
  const log: SourceLog = { pulls: 0, returns: 0, closes: 0, finished: false };
  return {
    log,
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let index = 0;
      return {
        async next(): Promise<IteratorResult<T>> {
          log.pulls++;
          if (log.finished || log.returns > 0) return { done: true, value: undefined };
          if (index === options.failAt) {
            log.finished = true;
            log.closes++;
            throw options.error ?? new Error(`source failed at ${index}`);
          }
          if (index >= items.length) {
            log.finished = true;
            log.closes++;
            return { done: true, value: undefined };
          }
          return { done: false, value: items[index++]! };
        },
        async return(): Promise<IteratorResult<T>> {
          log.returns++;
          if (!log.finished) log.closes++;
          log.finished = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** A promise with its resolve and reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise continuations run. */
export async function ticks(count = 20): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

/** A callback that waits until its token is cancelled, then rejects with the token's error. */
export function untilCancelled(token: { onCancel(cb: () => void): Disposable; throwIfCancelled(): void }): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      try {
        token.throwIfCancelled();
      } catch (error) {
        reject(error);
      }
    });
  });
}
