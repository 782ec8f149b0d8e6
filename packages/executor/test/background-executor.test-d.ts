import { expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import {
  BackgroundExecutor,
  type BackgroundExecutorOptions,
  type SubmitFunction,
  type SubmitOptions,
  type Task,
} from '@x/executor';

it('infers the task value from what the function returns or resolves to', () => {
  const executor = new BackgroundExecutor();
  expectTypeOf(executor.submit(async () => 42)).toEqualTypeOf<Task<number>>();
  expectTypeOf(executor.submit(() => 'sync')).toEqualTypeOf<Task<string>>();
  expectTypeOf(executor.submit(() => Promise.resolve({ id: 1 }))).toEqualTypeOf<Task<{ id: number }>>();
  expectTypeOf(executor.submit(() => {})).toEqualTypeOf<Task<void>>();
});

it('passes a CancellationToken to the function', () => {
  const executor = new BackgroundExecutor();
  executor.submit((token) => {
    expectTypeOf(token).toEqualTypeOf<CancellationToken>();
  });
});

it('makes a task awaitable with a name and a cancel()', async () => {
  const task = new BackgroundExecutor().submit(async () => 1);
  expectTypeOf(await task).toEqualTypeOf<number>();
  expectTypeOf(task.name).toEqualTypeOf<string>();
  expectTypeOf(task.cancel).toEqualTypeOf<(reason?: unknown) => void>();
  expectTypeOf(task.then((n) => String(n))).toEqualTypeOf<Promise<string>>();
  expectTypeOf(task.catch(() => null)).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(task).toExtend<PromiseLike<number>>();
});

it('returns what the body of run returns', async () => {
  const result = BackgroundExecutor.run(async (submit, token) => {
    expectTypeOf(submit).toEqualTypeOf<SubmitFunction>();
    expectTypeOf(token).toEqualTypeOf<CancellationToken>();
    const task = submit(async () => [1, 2]);
    expectTypeOf(task).toEqualTypeOf<Task<number[]>>();
    return 'report' as const;
  });
  expectTypeOf(result).toEqualTypeOf<Promise<'report'>>();
});

it('accepts only the documented options', () => {
  const executor = new BackgroundExecutor({ maxConcurrency: 4, signal: AbortSignal.timeout(1) });
  const options: SubmitOptions = { name: 'x', cancelOnExit: true, reraiseOnExit: false, nextTick: true };
  executor.submit(() => 1, options);
  // @ts-expect-error: unknown option
  executor.submit(() => 1, { priority: 1 });
  // @ts-expect-error: maxConcurrency is a number
  new BackgroundExecutor({ maxConcurrency: '4' });
  expectTypeOf<BackgroundExecutorOptions['signal']>().toEqualTypeOf<AbortSignal | CancellationToken | undefined>();
  expectTypeOf(executor.close()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(executor).toExtend<AsyncDisposable>();
});
