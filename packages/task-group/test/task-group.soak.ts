import { describe, expect, it } from 'vitest';
import { CancelledError, type CancellationToken } from '@x/core';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';
import { any, map, race, TaskGroup, TaskGroupError } from '../src/index.js';

const CYCLES = 100_000;
const MB = 1024 * 1024;

function cancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      reject(new CancelledError());
    });
  });
}

describe('TaskGroup soak', () => {
  it('leaves no listener on a long-lived signal and keeps the heap flat over 1e5 groups', async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    let failures = 0;
    const cycle = async (i: number): Promise<void> => {
      try {
        await TaskGroup.run(
          (tg) => {
            tg.spawn(async () => {
              await Promise.resolve();
              if (i % 10 === 0) throw new Error('boom');
            });
            tg.spawn((token) => (i % 10 === 0 ? cancelled(token) : 1));
          },
          { signal, maxConcurrency: 1 },
        );
      } catch (error) {
        if (TaskGroupError.is(error)) failures++;
        else throw error;
      }
    };
    for (let i = 0; i < 1_000; i++) await cycle(i);
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) await cycle(i);
    });
    expect(failures).toBe((1_000 + CYCLES) / 10);
    expect(abortListeners(signal)).toBe(0);
    expect(growth).toBeLessThan(2 * MB);
  });

  it('keeps the heap flat after 1e5 tasks in one group', async () => {
    const growth = await heapGrowth(async () => {
      await TaskGroup.run((tg) => {
        for (let i = 0; i < CYCLES; i++) {
          tg.spawn(async () => {
            await Promise.resolve();
          });
        }
      });
    });
    expect(growth).toBeLessThan(2 * MB);
  });

  it('leaves no listener behind after 1e5 map, race and any calls on one signal', async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const cycle = async (i: number): Promise<void> => {
      if (i % 3 === 0) await map([1, 2, 3], (n) => n, { concurrency: 2, signal });
      else if (i % 3 === 1) await race([async () => 1, (token) => cancelled(token)], { signal });
      else await any([() => Promise.reject(new Error('no')), async () => 2], { signal });
    };
    for (let i = 0; i < 1_000; i++) await cycle(i);
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) await cycle(i);
    });
    expect(abortListeners(signal)).toBe(0);
    expect(growth).toBeLessThan(2 * MB);
  });
});
