import { describe, expect, it } from 'vitest';
import { CancellationSource, CancelledError } from '@x/core';
import { WorkerPool } from '@x/worker-pool';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

const CYCLES = 100_000;
// Warm-up first, so JIT code and lazily grown tables reach their steady size; then growth is measured.
const WARM_UP = 30_000;
/** Well below what one retained job per cycle would cost (1e5 × ~250 bytes = 25 MB). */
const MAX_GROWTH = 2 * 1024 * 1024;

describe('WorkerPool soak', () => {
  it('keeps memory flat and leaves no listener on a long-lived signal after 1e5 submit → abort cycles', async () => {
    // Even cycles queue behind a paused pool; odd cycles wait for room in a full one.
    const paused = new WorkerPool({ concurrency: 1 });
    paused.pause();
    const full = new WorkerPool({ concurrency: 1, maxQueue: 1 });
    full.pause();
    const filler = full.submit(() => 'filler');
    const life = new AbortController();
    const cycles = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        using source = new CancellationSource(life.signal);
        const pool = i % 2 === 0 ? paused : full;
        const job = pool.submit(() => i, { signal: source.token, priority: i % 3 });
        source.cancel();
        const error: unknown = await job.catch((e: unknown) => e);
        if (!CancelledError.is(error)) throw new Error(`cycle ${i}: expected CancelledError, got ${String(error)}`);
      }
    };
    await cycles(WARM_UP);
    const growth = await heapGrowth(() => cycles(CYCLES));
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(abortListeners(life.signal)).toBe(0);
    expect(paused.size).toBe(0);
    expect(full.size).toBe(1);
    await Promise.all([paused.close(), full.close()]);
    await expect(filler).resolves.toBe('filler');
  });

  it('keeps memory flat and leaves no listener after 1e5 jobs run with a long-lived signal', async () => {
    const pool = new WorkerPool({ concurrency: 4 });
    const life = new AbortController();
    const cycles = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 8) {
        const batch = [];
        for (let j = 0; j < 8; j++) batch.push(pool.submit(async () => j, { signal: life.signal, priority: j % 2 }));
        await Promise.all(batch);
      }
    };
    await cycles(WARM_UP);
    const growth = await heapGrowth(() => cycles(CYCLES));
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(abortListeners(life.signal)).toBe(0);
    expect(pool.running).toBe(0);
    await pool.close();
  });
});
