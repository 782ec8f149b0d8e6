import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancellationSource, CancelledError, TimeoutError, WaitQueue } from '@x/core';
import { registrationCount } from '../src/cancellation.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('WaitQueue', () => {
  it('wakes waiters in FIFO order with the given value', async () => {
    const queue = new WaitQueue<string, number>();
    const a = queue.wait(1);
    const b = queue.wait(2);
    expect(queue.size).toBe(2);
    expect(queue.peek()).toBe(1);
    expect([...queue]).toEqual([1, 2]);
    expect(queue.wake('first')).toBe(1);
    expect(queue.wake('second')).toBe(2);
    expect(queue.wake('nobody')).toBeUndefined();
    await expect(a).resolves.toBe('first');
    await expect(b).resolves.toBe('second');
    expect(queue.isEmpty).toBe(true);
  });

  it('rejects at once, without queueing, when the signal is already aborted', async () => {
    const queue = new WaitQueue<void>();
    const controller = new AbortController();
    controller.abort('early');
    const waiting = queue.wait(undefined, { signal: controller.signal });
    expect(queue.size).toBe(0);
    await expect(waiting).rejects.toMatchObject({ name: 'CancelledError', cause: 'early' });
  });

  it('removes a cancelled waiter, rejects it with CancelledError and calls onLeave', async () => {
    const left: number[] = [];
    const queue = new WaitQueue<void, number>({ onLeave: (d) => left.push(d) });
    const source = new CancellationSource();
    const a = queue.wait(1);
    const b = queue.wait(2, { signal: source.token });
    const c = queue.wait(3);
    source.cancel('bye');
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    await expect(b).rejects.toMatchObject({ cause: 'bye' });
    expect(left).toEqual([2]);
    expect([...queue]).toEqual([1, 3]);
    queue.wake();
    queue.wake();
    await Promise.all([a, c]);
    expect(registrationCount(source.token)).toBe(0);
  });

  it('rejects with TimeoutError when the timeout runs out, and calls onLeave', async () => {
    vi.useFakeTimers();
    const left: string[] = [];
    const queue = new WaitQueue<void, string>({ onLeave: (d) => left.push(d) });
    const waiting = queue.wait('slow', { timeout: 100 });
    const check = expect(waiting).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(99);
    expect(queue.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await check;
    expect(left).toEqual(['slow']);
    expect(queue.size).toBe(0);
  });

  it('clears the timer and the signal listener when a waiter is woken', async () => {
    vi.useFakeTimers();
    const queue = new WaitQueue<number>();
    const controller = new AbortController();
    const waiting = queue.wait(undefined, { signal: controller.signal, timeout: 1000 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    queue.wake(7);
    await expect(waiting).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('gives a woken value back through onAbandon when the signal fires before the waiter resumes', async () => {
    const returned: number[] = [];
    const queue = new WaitQueue<number, string>({ onAbandon: (value) => returned.push(value) });
    const source = new CancellationSource();
    const waiting = queue.wait('w', { signal: source.token });
    queue.wake(42);
    source.cancel('too late');
    await expect(waiting).rejects.toMatchObject({ name: 'CancelledError', cause: 'too late' });
    expect(returned).toEqual([42]);
  });

  it('keeps a woken value when there is no onAbandon hook', async () => {
    const queue = new WaitQueue<number>();
    const source = new CancellationSource();
    const waiting = queue.wait(undefined, { signal: source.token });
    queue.wake(1);
    source.cancel();
    await expect(waiting).resolves.toBe(1);
  });

  it('rejects every waiter in order with rejectAll and clears their timers and listeners', async () => {
    vi.useFakeTimers();
    const queue = new WaitQueue<void, number>();
    const controller = new AbortController();
    const closed = new Error('closed');
    const waits = [1, 2, 3].map((n) => queue.wait(n, { signal: controller.signal, timeout: 50 }));
    queue.rejectAll(closed);
    for (const w of waits) await expect(w).rejects.toBe(closed);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('throws RangeError for a negative, NaN or over-long timeout', () => {
    const queue = new WaitQueue<void>();
    expect(() => queue.wait(undefined, { timeout: -1 })).toThrow(RangeError);
    expect(() => queue.wait(undefined, { timeout: Number.NaN })).toThrow(/`timeout`/);
    expect(() => queue.wait(undefined, { timeout: 2 ** 31 })).toThrow(/from 0 to 2147483647/);
    expect(() => queue.wait(undefined, { timeout: '5' as never })).toThrow(TypeError);
    expect(queue.size).toBe(0);
  });

  it('treats an Infinity timeout as no limit and starts no timer', async () => {
    vi.useFakeTimers();
    const queue = new WaitQueue<number>();
    const waiting = queue.wait(undefined, { timeout: Infinity });
    expect(vi.getTimerCount()).toBe(0);
    queue.wake(3);
    await expect(waiting).resolves.toBe(3);
  });

  it('rejects the waiters cancelled by one cancel() with one shared CancelledError', async () => {
    const queue = new WaitQueue<void>();
    const source = new CancellationSource();
    const a = queue.wait(undefined, { signal: source.token });
    const b = queue.wait(undefined, { signal: source.token });
    source.cancel('shared');
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect(ra.status === 'rejected' && rb.status === 'rejected' && ra.reason === rb.reason).toBe(true);
    expect((ra as PromiseRejectedResult).reason).toMatchObject({ name: 'CancelledError', cause: 'shared' });
  });

  it('rejects 1e5 waiters sharing one signal when it aborts, leaving no listener', async () => {
    const queue = new WaitQueue<void>();
    const controller = new AbortController();
    const waits = Array.from({ length: 1e5 }, () => queue.wait(undefined, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const settled = await Promise.allSettled(waits);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(queue.size).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
