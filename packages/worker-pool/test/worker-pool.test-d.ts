import { describe, expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import { ClosedError, WorkerPool, type CloseOptions, type SubmitOptions, type WorkerPoolOptions } from '@x/worker-pool';

describe('WorkerPool types', () => {
  const pool = new WorkerPool({ concurrency: 2 });

  it('infers the result type of submit from the job, async or not', () => {
    expectTypeOf(pool.submit(async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pool.submit(() => 'plain')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(pool.submit(() => Promise.resolve({ id: 1 }))).toEqualTypeOf<Promise<{ id: number }>>();
    expectTypeOf(pool.submit(() => {})).toEqualTypeOf<Promise<void>>();
  });

  it('passes the job a CancellationToken', () => {
    void pool.submit((token) => {
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
      return token.signal;
    });
  });

  it('accepts an AbortSignal or a token as signal and a number as priority', () => {
    expectTypeOf<{ signal: AbortSignal; priority: number }>().toExtend<SubmitOptions>();
    expectTypeOf<{ signal: CancellationToken }>().toExtend<SubmitOptions>();
    // @ts-expect-error: priority is a number
    void pool.submit(() => 1, { priority: 'high' });
    // @ts-expect-error: a job takes at most the token
    void pool.submit((token: CancellationToken, extra: number) => extra);
  });

  it('requires concurrency and types the rest of the API', () => {
    // @ts-expect-error: concurrency is required
    expectTypeOf<{ maxQueue: number }>().toExtend<WorkerPoolOptions>();
    expectTypeOf(pool.close).parameter(0).toEqualTypeOf<CloseOptions | undefined>();
    expectTypeOf(pool.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(pool.onIdle()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(pool.size).toEqualTypeOf<number>();
    expectTypeOf(pool.running).toEqualTypeOf<number>();
    expectTypeOf(pool.concurrency).toEqualTypeOf<number>();
    expectTypeOf(pool).toExtend<AsyncDisposable>();
  });

  it('narrows with ClosedError.is', () => {
    const error: unknown = new Error('x');
    if (ClosedError.is(error)) expectTypeOf(error).toEqualTypeOf<ClosedError>();
  });
});
