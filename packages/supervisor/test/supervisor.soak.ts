import type { CancellationToken } from '@x/core';
import { describe, expect, it, vi } from 'vitest';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';
import { Supervisor } from '../src/index.js';

const CYCLES = 100_000;
const failure = new Error('boom');

/** A child that fails at once until it has run `target` times, then parks until told to go on. */
function driver(): { fn: (token: CancellationToken) => Promise<void>; advance: (runs: number) => Promise<void> } {
  let runs = 0;
  let target = 1;
  let reached = (): void => {};
  let resume: (error: Error) => void = () => {};
  const fn = (token: CancellationToken): Promise<void> => {
    runs++;
    if (runs < target) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      resume = reject;
      token.onCancel(() => {
        resolve();
      });
      reached();
    });
  };
  const advance = (count: number): Promise<void> =>
    new Promise<void>((resolve) => {
      reached = resolve;
      target += count;
      resume(failure);
    });
  return { fn, advance };
}

describe('supervisor soak', () => {
  it('restarts a failing child 1e5 times on a long-lived signal with flat memory and no listener left', async () => {
    const controller = new AbortController();
    const supervisor = new Supervisor({ signal: controller.signal, maxRestarts: Infinity, backoff: { initialMs: 0 } });
    const worker = driver();
    supervisor.start('worker', worker.fn);
    await worker.advance(1_000);
    const growth = await heapGrowth(() => worker.advance(CYCLES));
    expect(supervisor.children[0]?.restarts).toBe(CYCLES + 1_000);
    expect(growth).toBeLessThan(1_000_000);
    expect(abortListeners(controller.signal)).toBe(1);
    await supervisor.stop();
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('tracks restart intensity over 2e5 restarts in bounded memory', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const supervisor = new Supervisor({ maxRestarts: 1_000, withinMs: 1, backoff: { initialMs: 0 } });
    const worker = driver();
    supervisor.start('worker', worker.fn);
    await worker.advance(100);
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < (2 * CYCLES) / 1_000; i++) {
        await worker.advance(500);
        vi.setSystemTime(Date.now() + 2);
      }
    });
    expect(supervisor.children[0]?.state).toBe('running');
    expect(growth).toBeLessThan(400_000);
    await supervisor.stop();
    vi.useRealTimers();
  });

  it('starts and stops 1e5 supervisors on one long-lived signal without leaving listeners', async () => {
    const controller = new AbortController();
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) {
        const supervisor = new Supervisor({ signal: controller.signal });
        supervisor.start('a', (token) => new Promise<void>((resolve) => token.onCancel(() => { resolve(); })));
        await supervisor.stop();
      }
    });
    expect(abortListeners(controller.signal)).toBe(0);
    expect(growth).toBeLessThan(1_000_000);
  });
});
