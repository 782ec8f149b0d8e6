import { describe, expect, it } from 'vitest';
import { BackgroundExecutor } from '@x/executor';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

const CYCLES = 100_000;

describe('BackgroundExecutor soak', () => {
  it('leaves no listener on a long-lived signal and a flat heap after 1e5 executor lifetimes', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) {
        const executor = new BackgroundExecutor({ maxConcurrency: 1, signal: controller.signal });
        executor.submit(() => Promise.resolve(i));
        // Waits at the gate, then is cancelled by close() without ever starting.
        executor.submit(() => never, { cancelOnExit: true });
        await executor.close();
      }
    });
    expect(abortListeners(controller.signal)).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });

  it('keeps a flat heap while one long-lived executor runs 1e5 tasks, cancelling half at the gate', async () => {
    const controller = new AbortController();
    const executor = new BackgroundExecutor({ maxConcurrency: 4, signal: controller.signal });
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i += 100) {
        const tasks = [];
        for (let j = 0; j < 100; j++) tasks.push(executor.submit((token) => Promise.resolve(token.isCancelled)));
        for (let j = 50; j < 100; j++) tasks[j]!.cancel();
        await Promise.allSettled(tasks);
      }
    });
    expect(abortListeners(controller.signal)).toBe(1);
    await executor.close();
    expect(abortListeners(controller.signal)).toBe(0);
    expect(growth).toBeLessThan(2_000_000);
  });

  it('settles 1e5 tasks in one executor without a stack overflow', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    let done = 0;
    for (let i = 0; i < CYCLES; i++) {
      executor.submit(() => {
        done++;
      });
    }
    await executor.close();
    expect(done).toBe(CYCLES);
  });
});
