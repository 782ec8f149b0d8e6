import { describe, expectTypeOf, it } from 'vitest';
import {
  BubbleUp,
  CancellationSource,
  CancellationToken,
  CancelledError,
  TimeoutError,
  WaitQueue,
  captureAsyncContext,
  asyncContextBase,
  assertInteger,
  type AsyncContextResource,
} from '@x/core';

describe('core types', () => {
  it('gives a source a token and a disposable', () => {
    const source = new CancellationSource();
    expectTypeOf(source.token).toEqualTypeOf<CancellationToken>();
    expectTypeOf(source).toExtend<Disposable>();
    expectTypeOf(source.token.onCancel(() => {})).toEqualTypeOf<Disposable>();
    expectTypeOf(source.token.signal).toEqualTypeOf<AbortSignal>();
    expectTypeOf(source.token.reason).toBeUnknown();
  });

  it('accepts an AbortSignal, a token or nothing as a parent', () => {
    expectTypeOf(CancellationSource).toBeConstructibleWith();
    expectTypeOf(CancellationSource).toBeConstructibleWith(new AbortController().signal);
    expectTypeOf(CancellationSource).toBeConstructibleWith(CancellationToken.none);
    // @ts-expect-error a string is not a parent
    new CancellationSource('parent');
    expectTypeOf(CancellationToken.from).parameter(0).toEqualTypeOf<AbortSignal | CancellationToken | undefined>();
  });

  it('narrows with the static is() guards', () => {
    const error: unknown = new Error();
    if (CancelledError.is(error)) expectTypeOf(error).toEqualTypeOf<CancelledError>();
    if (BubbleUp.is(error)) expectTypeOf(error).toEqualTypeOf<BubbleUp>();
    if (TimeoutError.is(error)) expectTypeOf(error).toEqualTypeOf<TimeoutError>();
    expectTypeOf<CancelledError>().toExtend<BubbleUp>();
  });

  it('types the wait queue by value and data', () => {
    const queue = new WaitQueue<number, { weight: number }>();
    expectTypeOf(queue.wait({ weight: 1 })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(queue.peek()).toEqualTypeOf<{ weight: number } | undefined>();
    // @ts-expect-error the data must match
    void queue.wait('heavy');
  });

  it('keeps argument and return types through an async context snapshot', () => {
    const snapshot = captureAsyncContext();
    expectTypeOf(snapshot.run((a: number, b: string) => `${a}${b}`, 1, 'x')).toEqualTypeOf<string>();
    // @ts-expect-error wrong argument type
    snapshot.run((a: number) => a, 'x');
  });

  it('lets a class extend asyncContextBase and keeps types through runInAsyncScope', () => {
    class Job extends asyncContextBase() {
      constructor(readonly fn: (this: Job, n: number) => string) {
        super('x.job');
      }
      start(n: number): string {
        return this.runInAsyncScope(this.fn, this, n);
      }
    }
    const job = new Job(function (n) {
      expectTypeOf(this).toEqualTypeOf<Job>();
      return `${n}`;
    });
    expectTypeOf(job).toExtend<AsyncContextResource>();
    expectTypeOf(job.start(1)).toEqualTypeOf<string>();
    expectTypeOf(job.runInAsyncScope((a: number, b: string) => a + b.length, undefined, 1, 'x')).toEqualTypeOf<number>();
    // @ts-expect-error wrong argument type
    job.runInAsyncScope((a: number) => a, undefined, 'x');
    const ownFn = function (this: Job) {
      return this.fn;
    };
    // @ts-expect-error thisArg must match the function's `this`
    job.runInAsyncScope(ownFn, 'not a job');
  });

  it('narrows with the assert helpers', () => {
    const value: unknown = 3;
    assertInteger('permits', value, 1);
    expectTypeOf(value).toEqualTypeOf<number>();
  });
});
