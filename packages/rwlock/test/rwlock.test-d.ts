import { expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import { ClosedError, RWLock, type LockOptions, type ReadGuard, type WriteGuard } from '@x/rwlock';

const lock = new RWLock();

it('gives read and write guards from read() and write()', () => {
  expectTypeOf(lock.read()).toEqualTypeOf<Promise<ReadGuard>>();
  expectTypeOf(lock.write({ timeout: 10 })).toEqualTypeOf<Promise<WriteGuard>>();
  expectTypeOf(lock.tryRead()).toEqualTypeOf<ReadGuard | undefined>();
  expectTypeOf(lock.tryWrite()).toEqualTypeOf<WriteGuard | undefined>();
});

it('turns a write guard into a read guard with downgrade()', async () => {
  const writer = await lock.write();
  expectTypeOf(writer.downgrade()).toEqualTypeOf<ReadGuard>();
  expectTypeOf(writer).toExtend<Disposable>();
  expectTypeOf<ReadGuard>().not.toHaveProperty('downgrade');
});

it('keeps the return type of the function run under the lock', () => {
  expectTypeOf(lock.withRead(() => 1)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(lock.withWrite(async () => 'x')).toEqualTypeOf<Promise<string>>();
  expectTypeOf(lock.withRead(() => Promise.resolve([true]))).toEqualTypeOf<Promise<boolean[]>>();
  void lock.withRead((token) => {
    expectTypeOf(token).toEqualTypeOf<CancellationToken>();
  });
});

it('accepts an AbortSignal or a CancellationToken as signal', () => {
  expectTypeOf<AbortSignal>().toExtend<NonNullable<LockOptions['signal']>>();
  expectTypeOf<CancellationToken>().toExtend<NonNullable<LockOptions['signal']>>();
  // @ts-expect-error timeout is a number of milliseconds
  void lock.read({ timeout: '1s' });
});

it('narrows unknown errors with ClosedError.is', () => {
  const error: unknown = new ClosedError();
  if (ClosedError.is(error)) expectTypeOf(error).toEqualTypeOf<ClosedError>();
});
