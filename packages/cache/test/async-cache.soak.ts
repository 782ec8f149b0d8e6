import { describe, expect, it } from 'vitest';
import { CancelledError, type CancellationToken } from '@x/core';
import { AsyncCache } from '@x/cache';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';

const CYCLES = 100_000;

/** A well-behaved slow factory: settles when its token is cancelled, else after a macrotask. */
function slowLoad(key: number, token: CancellationToken): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setImmediate(() => {
      registration[Symbol.dispose]();
      resolve(key);
    });
    const registration = token.onCancel((reason) => {
      clearImmediate(timer);
      reject(new CancelledError(undefined, { cause: reason }));
    });
  });
}

describe('AsyncCache soak', () => {
  it('leaves 0 listeners on a long-lived signal and flat memory after 1e5 aborted getOrSet calls', async () => {
    const cache = new AsyncCache<number, number>({ max: 100, ttlMs: 60_000 });
    const longLived = new AbortController();
    let cancelledLoads = 0;
    let aborted = 0;
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < CYCLES; i++) {
        const short = new AbortController();
        if (i % 2 === 0) {
          // A caller on the long-lived signal and one that leaves share a load that completes.
          const stays = cache.getOrSet(i, slowLoad, { signal: longLived.signal });
          const leaves = cache.getOrSet(i, slowLoad, { signal: short.signal });
          short.abort('left');
          await leaves.catch(() => {
            aborted++;
          });
          if ((await stays) !== i) throw new Error(`caller ${i} got the wrong value`);
        } else {
          // A load whose only caller leaves: its token is cancelled and the factory gives up.
          const abandoned = cache.getOrSet(-1, (key, token) => {
            token.onCancel(() => {
              cancelledLoads++;
            });
            return slowLoad(key, token);
          }, { signal: short.signal });
          short.abort('left');
          await abandoned.catch(() => {
            aborted++;
          });
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(aborted).toBe(CYCLES);
    expect(cancelledLoads).toBe(CYCLES / 2);
    expect(abortListeners(longLived.signal)).toBe(0);
    expect(cache.size).toBe(100);
    expect(growth).toBeLessThan(2_000_000);
  });
});
