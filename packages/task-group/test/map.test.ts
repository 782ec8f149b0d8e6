import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancelledError, type CancellationToken } from '@x/core';
import { map, TaskGroupError } from '../src/index.js';

async function caught(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function cancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      reject(new CancelledError());
    });
  });
}

describe('map', () => {
  it('resolves with the results in input order whatever order they finish in', async () => {
    vi.useFakeTimers();
    const outcome = map(
      [30, 10, 20],
      async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms * 2;
      },
      { concurrency: 3 },
    );
    await vi.advanceTimersByTimeAsync(30);
    await expect(outcome).resolves.toEqual([60, 20, 40]);
  });

  it('runs at most `concurrency` calls at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await map(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        return i;
      },
      { concurrency: 4 },
    );
    expect(peak).toBe(4);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('accepts sync iterables, strings and empty inputs', async () => {
    function* numbers(): Generator<number> {
      yield 1;
      yield 2;
      yield 3;
    }
    await expect(map(numbers(), (n) => n + 1, { concurrency: 2 })).resolves.toEqual([2, 3, 4]);
    await expect(map(new Set(['a', 'b']), (s) => s.toUpperCase())).resolves.toEqual(['A', 'B']);
    await expect(map('xy', (c) => c + c)).resolves.toEqual(['xx', 'yy']);
    await expect(map([], () => 1)).resolves.toEqual([]);
    await expect(map(numbers(), (n) => n, { concurrency: 1 })).resolves.toEqual([1, 2, 3]);
  });

  it('accepts async iterables and never asks them for two items at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          async next() {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await tick();
            inFlight--;
            return i < 5 ? { value: i++, done: false } : { value: undefined, done: true };
          },
        };
      },
    };
    await expect(map(source, async (n) => n * 10, { concurrency: 3 })).resolves.toEqual([0, 10, 20, 30, 40]);
    expect(maxInFlight).toBe(1);
  });

  it('pulls lazily: never more items than free slots', async () => {
    let pulled = 0;
    let processed = 0;
    let maxAhead = 0;
    function* items(): Generator<number> {
      for (let i = 0; i < 20; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - processed);
        yield i;
      }
    }
    await map(
      items(),
      async () => {
        await tick();
        processed++;
      },
      { concurrency: 3 },
    );
    expect(maxAhead).toBeLessThanOrEqual(3);
    expect(pulled).toBe(20);
  });

  it('stops pulling, cancels calls in flight, awaits them and closes the source on the first failure', async () => {
    const boom = new Error('boom');
    let closed = false;
    let pulled = 0;
    const tokens: CancellationToken[] = [];
    let settledInFlight = 0;
    async function* items(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const error = await caught(
      map(
        items(),
        async (i, token) => {
          if (i === 2) throw boom;
          tokens.push(token);
          await cancelled(token).catch(() => {
            settledInFlight++;
          });
        },
        { concurrency: 3 },
      ),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(10);
    expect(tokens.every((t) => t.isCancelled)).toBe(true);
    expect(settledInFlight).toBe(tokens.length);
  });

  it('reports a source that throws as a failure', async () => {
    const broken = new Error('source broke');
    function* items(): Generator<number> {
      yield 1;
      throw broken;
    }
    const error = await caught(map(items(), (n) => n, { concurrency: 2 }));
    expect((error as TaskGroupError).errors).toEqual([broken]);
  });

  it('rejects with CancelledError and closes the source when its signal fires', async () => {
    const controller = new AbortController();
    let closed = false;
    function* items(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const outcome = map(items(), (_, token) => cancelled(token), { concurrency: 2, signal: controller.signal });
    await tick();
    controller.abort();
    expect(CancelledError.is(await caught(outcome))).toBe(true);
    expect(closed).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('starts nothing and never opens the source when its signal is already aborted', async () => {
    const fn = vi.fn();
    const iterate = vi.fn();
    const source = { [Symbol.iterator]: iterate } as unknown as Iterable<number>;
    expect(CancelledError.is(await caught(map(source, fn, { signal: AbortSignal.abort() })))).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(iterate).not.toHaveBeenCalled();
  });

  it('passes a BubbleUp through unchanged', async () => {
    const interrupt = new BubbleUp('stop');
    await expect(
      map([1, 2, 3], (n) => {
        if (n === 2) throw interrupt;
        return n;
      }),
    ).rejects.toBe(interrupt);
  });

  it('throws TypeError or RangeError synchronously for bad arguments', () => {
    expect(() => map(42 as never, (n) => n)).toThrow(/`items`/);
    expect(() => map([1], 'nope' as never)).toThrow(/`fn`/);
    expect(() => map([1], (n) => n, { concurrency: 0 })).toThrow(RangeError);
    expect(() => map([1], (n) => n, { concurrency: 0 })).toThrow(/`concurrency`.*`0`/);
    expect(() => map([1], (n) => n, { concurrency: 2.5 })).toThrow(RangeError);
  });

  it('maps 100 000 items without overflowing the stack', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const results = await map(items, (n) => n + 1, { concurrency: 16 });
    expect(results).toHaveLength(100_000);
    expect(results[99_999]).toBe(100_000);
    function* generated(): Generator<number> {
      for (let i = 0; i < 100_000; i++) yield i;
    }
    expect(await map(generated(), (n) => n, { concurrency: 16 })).toHaveLength(100_000);
  });
});
