import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { CancelledError, TimeoutError } from '@x/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError, Mutex } from '@x/semaphore';
import { observe, ticks } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Mutex', () => {
  it('locks at once when free and reports isLocked until released', async () => {
    const mutex = new Mutex();
    expect(mutex.isLocked).toBe(false);
    const lock = await mutex.lock();
    expect(mutex.isLocked).toBe(true);
    lock.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('hands the lock to waiters in arrival order', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const order: number[] = [];
    const done = [1, 2, 3].map(async (n) => {
      using lock = await mutex.lock();
      expect(lock.released).toBe(false);
      order.push(n);
      await ticks(2);
    });
    expect(mutex.waiting).toBe(3);
    held.release();
    expect(mutex.isLocked).toBe(true);
    await Promise.all(done);
    expect(order).toEqual([1, 2, 3]);
    expect(mutex.isLocked).toBe(false);
  });

  it('fails tryLock while locked or while anyone waits', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    expect(mutex.tryLock()).toBeUndefined();
    const waiter = observe(mutex.lock());
    held.release();
    expect(mutex.tryLock()).toBeUndefined();
    await ticks();
    waiter.value!.release();
    expect(mutex.tryLock()).toBeDefined();
  });

  it('never interleaves two run() bodies', async () => {
    const mutex = new Mutex();
    let balance = 0;
    const deposit = (amount: number): Promise<void> =>
      mutex.run(async () => {
        const read = balance;
        await ticks(2);
        balance = read + amount;
      });
    await Promise.all([deposit(1), deposit(2), deposit(3), deposit(4)]);
    expect(balance).toBe(10);
    expect(mutex.isLocked).toBe(false);
  });

  it('releases after run() returns, throws, or throws synchronously', async () => {
    const mutex = new Mutex();
    await expect(mutex.run(() => 1)).resolves.toBe(1);
    await expect(mutex.run(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    await expect(
      mutex.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(mutex.isLocked).toBe(false);
  });

  it('treats a second release as a no-op', async () => {
    const mutex = new Mutex();
    const lock = await mutex.lock();
    lock.release();
    const next = await mutex.lock();
    lock.release();
    expect(mutex.isLocked).toBe(true);
    next.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('rejects a waiter with CancelledError when its signal fires and keeps no listener', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const controller = new AbortController();
    const waiter = observe(mutex.lock({ signal: controller.signal }));
    controller.abort('bye');
    await ticks();
    expect(CancelledError.is(waiter.error)).toBe(true);
    expect((waiter.error as Error).cause).toBe('bye');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(mutex.waiting).toBe(0);
    held.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('never locks with a signal that is already aborted', async () => {
    const mutex = new Mutex();
    await expect(mutex.lock({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(mutex.isLocked).toBe(false);
  });

  it('rejects with TimeoutError when the timeout runs out', async () => {
    vi.useFakeTimers();
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const waiter = observe(mutex.lock({ timeout: 20 }));
    await vi.advanceTimersByTimeAsync(20);
    expect(TimeoutError.is(waiter.error)).toBe(true);
    held.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('passes the lock on when it was handed to a waiter whose signal fired before it resumed', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const controller = new AbortController();
    const first = observe(mutex.lock({ signal: controller.signal }));
    const second = observe(mutex.lock());
    held.release();
    controller.abort();
    await ticks();
    expect(first.state).toBe('rejected');
    expect(second.state).toBe('fulfilled');
    second.value!.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('rejects waiters and later calls with ClosedError naming the mutex when closed', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const waiter = observe(mutex.lock());
    mutex.close('stop');
    await ticks();
    expect(ClosedError.is(waiter.error)).toBe(true);
    expect((waiter.error as Error).message).toBe('The mutex is closed');
    expect((waiter.error as Error).cause).toBe('stop');
    await expect(mutex.run(() => 1)).rejects.toBeInstanceOf(ClosedError);
    expect(() => mutex.tryLock()).toThrow(ClosedError);
    expect(mutex.isClosed).toBe(true);
    held.release();
    expect(mutex.isLocked).toBe(false);
  });

  it('throws synchronously for a non-function fn or a bad timeout', () => {
    const mutex = new Mutex();
    expect(() => mutex.run(42 as never)).toThrow(/`fn`/);
    expect(() => mutex.lock({ timeout: -5 })).toThrow(/`timeout`/);
  });

  it('runs a queued run() body in the async context of its caller', async () => {
    const storage = new AsyncLocalStorage<number>();
    const mutex = new Mutex();
    const held = mutex.tryLock()!;
    const seen = storage.run(7, () => mutex.run(() => storage.getStore()));
    storage.run(8, () => {
      held.release();
    });
    await expect(seen).resolves.toBe(7);
  });
});
