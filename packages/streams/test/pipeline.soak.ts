import { describe, expect, it } from 'vitest';
import { abortListeners, heapGrowth } from '../../../test-utils/soak.js';
import { batch, buffer, forEach, map, merge, pipe, take, toArray } from '../src/index.js';

const CYCLES = 100_000;

async function* numbers(): AsyncGenerator<number> {
  for (let i = 0; ; i++) yield i;
}

function whenCancelled(token: { onCancel(cb: () => void): Disposable }): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      reject(new Error('cancelled'));
    });
  });
}

describe('pipeline soak', () => {
  it('leaves no listener on a long-lived signal and flat memory after 1e5 abandoned pipelines', async () => {
    const longLived = new AbortController();
    const warmup = async (cycles: number) => {
      for (let i = 0; i < cycles; i++) {
        switch (i % 3) {
          case 0: {
            // Left early by take: map's running callbacks are cancelled, the generator closed.
            const out = await toArray(
              pipe(
                numbers(),
                map(async (n: number, token) => (n < 2 ? n : whenCancelled(token)), { concurrency: 4 }),
                take(2),
              ),
              { signal: longLived.signal },
            );
            if (out.length !== 2) throw new Error('lost items');
            break;
          }
          case 1: {
            // Left by break, with a read-ahead buffer and a merge in the way.
            for await (const group of pipe(merge(numbers(), [1, 2, 3]), buffer(4), batch(3))) {
              if (group.length === 3) break;
            }
            break;
          }
          default: {
            // Cancelled through the sink's own signal while a callback waits.
            const controller = new AbortController();
            const done = forEach(
              pipe(numbers(), map((n: number) => n, { concurrency: 2 })),
              (n, token) => (n === 3 ? (controller.abort(), whenCancelled(token)) : undefined),
              { signal: controller.signal },
            );
            await done.catch(() => {});
          }
        }
      }
    };
    await warmup(3_000);
    const growth = await heapGrowth(() => warmup(CYCLES));
    expect(abortListeners(longLived.signal)).toBe(0);
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });
});
