import { CancellationSource, CancelledError } from '@x/core';
import { describe, expect, it } from 'vitest';
import { Mutex, Semaphore } from '@x/semaphore';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

const CYCLES = 100_000;
// Bounded: a leak of even 16 bytes per cycle would show as 1.6 MB.
const MAX_GROWTH = 1_000_000;

describe('Semaphore soak', () => {
  it('leaves no listener and no garbage after 1e5 acquire → abort cycles', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const longLived = new AbortController();
    let cancelled = 0;
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) {
        const source = new CancellationSource(longLived.signal);
        const waiting = semaphore.acquire({ signal: source.token });
        source.cancel();
        source[Symbol.dispose]();
        try {
          await waiting;
        } catch (error) {
          if (CancelledError.is(error)) cancelled++;
        }
      }
    });
    expect(cancelled).toBe(CYCLES);
    expect(abortListeners(longLived.signal)).toBe(0);
    expect(semaphore.waiting).toBe(0);
    expect(growth).toBeLessThan(MAX_GROWTH);
    held.release();
    expect(semaphore.available).toBe(1);
  });

  it('leaves no listener and no garbage after 1e5 contended acquire/release calls on one long-lived signal', async () => {
    const semaphore = new Semaphore(2);
    const longLived = new AbortController();
    const signal = longLived.signal;
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES / 2; i++) {
        // Two holders and two waiters on the same signal each round.
        const a = await semaphore.acquire({ signal });
        const b = await semaphore.acquire({ signal, timeout: 10_000 });
        const c = semaphore.acquire({ signal });
        const d = semaphore.acquire({ signal, timeout: 10_000 });
        a.release();
        b.release();
        (await c).release();
        (await d).release();
      }
    });
    expect(abortListeners(signal)).toBe(0);
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(semaphore.available).toBe(2);
    expect(semaphore.waiting).toBe(0);
  });

  it('leaves no listener and no garbage after 1e5 run() calls through a busy mutex with a long-lived signal', async () => {
    const mutex = new Mutex();
    const longLived = new AbortController();
    const signal = longLived.signal;
    const growth = await heapGrowth(async () => {
      const work = (): Promise<number> => mutex.run(() => Promise.resolve(1), { signal });
      for (let i = 0; i < CYCLES / 4; i++) {
        await Promise.all([work(), work(), work(), work()]);
      }
    });
    expect(abortListeners(signal)).toBe(0);
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(mutex.isLocked).toBe(false);
  });

  it('aborts 1e5 waiters sharing one signal at once and keeps nothing', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const growth = await heapGrowth(async () => {
      const waiters = Array.from({ length: CYCLES }, () => semaphore.acquire({ signal: controller.signal }));
      expect(abortListeners(controller.signal)).toBe(1);
      controller.abort();
      const results = await Promise.allSettled(waiters);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
    });
    expect(abortListeners(controller.signal)).toBe(0);
    expect(semaphore.waiting).toBe(0);
    expect(growth).toBeLessThan(MAX_GROWTH);
    held.release();
  });
});
