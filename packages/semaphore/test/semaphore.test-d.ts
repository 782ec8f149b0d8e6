import type { CancellationToken } from '@x/core';
import { describe, expectTypeOf, it } from 'vitest';
import { ClosedError, Mutex, Semaphore, type AcquireOptions, type LockOptions, type Permit, type RunOptions } from '@x/semaphore';

describe('Semaphore types', () => {
  it('acquire resolves with a disposable Permit and tryAcquire may return undefined', () => {
    const semaphore = new Semaphore(2);
    expectTypeOf(semaphore.acquire()).toEqualTypeOf<Promise<Permit>>();
    expectTypeOf(semaphore.tryAcquire(2)).toEqualTypeOf<Permit | undefined>();
    expectTypeOf<Permit>().toExtend<Disposable>();
    expectTypeOf<Permit['weight']>().toEqualTypeOf<number>();
    expectTypeOf(semaphore.available).toEqualTypeOf<number>();
  });

  it('run() gives fn a token and resolves with its awaited result', () => {
    const semaphore = new Semaphore(2);
    expectTypeOf(semaphore.run(async () => 'text')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(semaphore.run(() => 42)).toEqualTypeOf<Promise<number>>();
    void semaphore.run((token) => {
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
    });
  });

  it('limit() keeps the parameter and return types of fn', () => {
    const semaphore = new Semaphore(2);
    const fetchText = semaphore.limit(async (url: string, retries?: number) => `${url}${retries ?? 0}`);
    expectTypeOf(fetchText).toEqualTypeOf<(url: string, retries?: number) => Promise<string>>();
    expectTypeOf(fetchText).parameters.toEqualTypeOf<[url: string, retries?: number]>();
    const double = semaphore.limit((n: number) => n * 2);
    expectTypeOf(double).returns.toEqualTypeOf<Promise<number>>();
    // @ts-expect-error: the wrapper takes fn's parameters
    void double('two');
    const urls = ['a', 'b'];
    expectTypeOf(urls.map((url) => fetchText(url))).toEqualTypeOf<Promise<string>[]>();
  });

  it('takes options with weight, signal and timeout', () => {
    const semaphore = new Semaphore(2);
    const options: AcquireOptions = { weight: 2, signal: new AbortController().signal, timeout: 10 };
    expectTypeOf<RunOptions>().toEqualTypeOf<AcquireOptions>();
    void semaphore.acquire(options);
    // @ts-expect-error: weight is a number
    void semaphore.acquire({ weight: '2' });
    // @ts-expect-error: fn must be a function
    void semaphore.run(42);
  });

  it('capacity is readable and writable', () => {
    const semaphore = new Semaphore(1);
    semaphore.capacity = 3;
    expectTypeOf(semaphore.capacity).toEqualTypeOf<number>();
  });
});

describe('Mutex types', () => {
  it('lock resolves with a Permit, run keeps the result type, options have no weight', () => {
    const mutex = new Mutex();
    expectTypeOf(mutex.lock()).toEqualTypeOf<Promise<Permit>>();
    expectTypeOf(mutex.tryLock()).toEqualTypeOf<Permit | undefined>();
    expectTypeOf(mutex.run(async () => [1, 2])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(mutex.isLocked).toEqualTypeOf<boolean>();
    expectTypeOf<LockOptions>().not.toHaveProperty('weight');
    // @ts-expect-error: a mutex has one permit
    void mutex.lock({ weight: 2 });
  });
});

describe('ClosedError types', () => {
  it('narrows with ClosedError.is', () => {
    const error: unknown = new ClosedError();
    if (ClosedError.is(error)) expectTypeOf(error).toEqualTypeOf<ClosedError>();
  });
});
