import { describe, expect, it } from 'vitest';
import { CancelledError } from '@x/core';
import { RWLock } from '@x/rwlock';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

const CYCLES = 100_000;
// Warm-up first: JIT code and the signal→token WeakMap table reach their steady size (bounded by
// what lives between two collections, not by history); then growth is measured.
const WARM_UP = 50_000;
/** Well below what one retained waiter per cycle would cost (1e5 × ~200 bytes = 20 MB). */
const MAX_GROWTH = 2 * 1024 * 1024;

describe('RWLock soak', () => {
  it('leaves no waiter, timer or memory behind after 1e5 acquire → abort cycles', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const cycles = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const controller = new AbortController();
        const options = i % 4 < 2 ? { signal: controller.signal } : { signal: controller.signal, timeout: 60_000 };
        const waiting = i % 2 === 0 ? lock.read(options) : lock.write(options);
        controller.abort();
        const error: unknown = await waiting.catch((e: unknown) => e);
        if (!CancelledError.is(error)) throw new Error(`cycle ${i}: expected CancelledError, got ${String(error)}`);
      }
    };
    await cycles(WARM_UP);
    const growth = await heapGrowth(() => cycles(CYCLES));
    expect(lock.waiting).toBe(0);
    expect(growth).toBeLessThan(MAX_GROWTH);
    writer.release();
    expect(lock.isWriteLocked).toBe(false);
  });

  it('leaves no listener on a long-lived signal after 1e5 contended acquire/release calls', async () => {
    const lock = new RWLock();
    const { signal } = new AbortController();
    // Each cycle makes two acquire/release calls that wait (registering on the signal) and one that does not.
    const cycles = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 2) {
        const writer = await lock.write({ signal });
        const reader = lock.read({ signal, timeout: 60_000 });
        const next = lock.write({ signal });
        writer.release();
        (await reader).release();
        (await next).release();
      }
    };
    await cycles(WARM_UP);
    const growth = await heapGrowth(() => cycles(CYCLES));
    expect(abortListeners(signal)).toBe(0);
    expect(lock.waiting).toBe(0);
    expect(lock.readers).toBe(0);
    expect(lock.isWriteLocked).toBe(false);
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it('rejects 1e5 waiters sharing one signal when it fires and keeps no listener', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const waiters = Array.from({ length: CYCLES }, (_, i) =>
      (i % 10 === 0 ? lock.write({ signal: controller.signal }) : lock.read({ signal: controller.signal })).then(
        () => 'acquired',
        (e: unknown) => (CancelledError.is(e) ? 'cancelled' : 'other'),
      ),
    );
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort();
    const outcomes = await Promise.all(waiters);
    expect(outcomes.every((o) => o === 'cancelled')).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(lock.waiting).toBe(0);
    writer.release();
  });
});
