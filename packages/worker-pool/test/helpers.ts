import { CancellationToken } from '@x/core';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
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

/** Lets every pending promise continuation run (microtasks only: works under fake timers too). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** What a promise has done so far, without waiting for it. */
export function track<T>(promise: Promise<T>): { readonly state: 'pending' | 'fulfilled' | 'rejected'; readonly value: unknown } {
  const result: { state: 'pending' | 'fulfilled' | 'rejected'; value: unknown } = { state: 'pending', value: undefined };
  promise.then(
    (value) => {
      result.state = 'fulfilled';
      result.value = value;
    },
    (error: unknown) => {
      result.state = 'rejected';
      result.value = error;
    },
  );
  return result;
}

/** A job that runs until `release` is called, recording its token. */
export function gate<T = void>(): {
  readonly job: (token: CancellationToken) => Promise<T>;
  readonly started: () => boolean;
  readonly token: () => CancellationToken;
  release(value: T): void;
  fail(error: unknown): void;
} {
  const d = deferred<T>();
  let token: CancellationToken | undefined;
  return {
    job: (t) => {
      token = t;
      return d.promise;
    },
    started: () => token !== undefined,
    token: () => {
      if (token === undefined) throw new Error('job not started');
      return token;
    },
    release: d.resolve,
    fail: d.reject,
  };
}
