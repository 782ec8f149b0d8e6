import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancelledError } from '@x/core';
import { batch, buffer, filter, flatMap, map, pipe, take, tap, toArray } from '../src/index.js';
import { deferred, ticks, tracked, untilCancelled } from './helpers.js';

describe('filter', () => {
  it('keeps the items whose predicate is truthy, sync or async', async () => {
    expect(await toArray(pipe([1, 2, 3, 4], filter((n: number) => n % 2 === 0)))).toEqual([2, 4]);
    expect(await toArray(pipe(tracked([1, 2, 3, 4]), filter(async (n: number) => n > 2)))).toEqual([3, 4]);
  });

  it('cancels the running predicate and closes the source when the consumer leaves', async () => {
    const source = tracked([1, 2, 3]);
    let reason: unknown;
    const iterator = pipe(
      source,
      filter(async (n: number, token) => {
        if (n === 1) return true;
        try {
          return await untilCancelled(token);
        } catch (error) {
          reason = error;
          throw error;
        }
      }),
    )[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = iterator.next();
    await ticks();
    await iterator.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(CancelledError.is(reason)).toBe(true);
    expect(source.log.returns).toBe(1);
  });

  it('rethrows a failing predicate after closing the source', async () => {
    const source = tracked([1, 2]);
    const failure = new Error('bad');
    await expect(
      toArray(
        pipe(
          source,
          filter(() => {
            throw failure;
          }),
        ),
      ),
    ).rejects.toBe(failure);
    expect(source.log.closes).toBe(1);
  });

  it('throws at once for a non-function predicate', () => {
    expect(() => filter(null as never)).toThrow(/Expected `fn` to be a function, got `null`/);
  });
});

describe('tap', () => {
  it('awaits its callback before passing the item on unchanged', async () => {
    const events: string[] = [];
    const out = await toArray(
      pipe(
        [1, 2],
        tap(async (n: number) => {
          await ticks(3);
          events.push(`tap ${n}`);
        }),
        map((n: number) => {
          events.push(`map ${n}`);
          return n;
        }),
      ),
    );
    expect(out).toEqual([1, 2]);
    expect(events).toEqual(['tap 1', 'map 1', 'tap 2', 'map 2']);
  });

  it('passes a BubbleUp from its callback through unchanged', async () => {
    const interrupt = new BubbleUp();
    const source = tracked([1]);
    await expect(
      toArray(
        pipe(
          source,
          tap(() => {
            throw interrupt;
          }),
        ),
      ),
    ).rejects.toBe(interrupt);
    expect(source.log.returns).toBe(1);
  });
});

describe('flatMap', () => {
  it('flattens sync iterables, async iterables and promises of them', async () => {
    async function* twice(n: number) {
      yield n;
      yield n;
    }
    const out = await toArray(
      pipe(
        [1, 2, 3],
        flatMap((n: number) => (n === 1 ? [n, -n] : n === 2 ? twice(n) : Promise.resolve([n * 100]))),
      ),
    );
    expect(out).toEqual([1, -1, 2, 2, 300]);
  });

  it('closes the inner iterable, then the source, when the consumer leaves', async () => {
    const source = tracked([1, 2]);
    const inner = tracked(['a', 'b', 'c']);
    const order: string[] = [];
    const innerIterator = inner[Symbol.asyncIterator]();
    const outer = source[Symbol.asyncIterator]();
    const wrappedOuter = {
      [Symbol.asyncIterator]: () => ({
        next: () => outer.next(),
        return: async () => {
          order.push('outer');
          return outer.return!();
        },
      }),
    };
    const wrappedInner = {
      [Symbol.asyncIterator]: () => ({
        next: () => innerIterator.next(),
        return: async () => {
          order.push('inner');
          return innerIterator.return!();
        },
      }),
    };
    for await (const letter of pipe(wrappedOuter, flatMap(() => wrappedInner))) {
      expect(letter).toBe('a');
      break;
    }
    expect(order).toEqual(['inner', 'outer']);
  });

  it('closes an inner pipeline whose pull is under way when the consumer leaves', async () => {
    const source = tracked([1, 2]);
    let cancelled = 0;
    const iterator = pipe(
      source,
      flatMap((n: number) =>
        pipe(
          [n, n + 10],
          map(async (m: number, token) => {
            if (m < 10) return m;
            try {
              return await untilCancelled(token);
            } finally {
              cancelled++;
            }
          }),
        ),
      ),
    )[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = iterator.next();
    await ticks();
    await iterator.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(cancelled).toBe(1);
    expect(source.log.returns).toBe(1);
  });

  it('fails with a TypeError when the callback returns something not iterable', async () => {
    const source = tracked([1]);
    await expect(toArray(pipe(source, flatMap(() => 42 as never)))).rejects.toThrow(TypeError);
    expect(source.log.returns).toBe(1);
  });

  it('rethrows an inner failure after closing the source', async () => {
    const failure = new Error('inner');
    const source = tracked([1, 2]);
    await expect(toArray(pipe(source, flatMap(() => tracked([1], { failAt: 1, error: failure }))))).rejects.toBe(
      failure,
    );
    expect(source.log.returns).toBe(1);
  });
});

describe('take', () => {
  it('yields the first items and closes the source as the last one is handed out', async () => {
    const source = tracked([1, 2, 3, 4]);
    const iterator = pipe(source, take(2))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(source.log.returns).toBe(0);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(source.log.returns).toBe(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(source.log.pulls).toBe(2);
    expect(source.log.closes).toBe(1);
  });

  it('take(0) yields nothing and closes the source', async () => {
    const source = tracked([1, 2]);
    expect(await toArray(pipe(source, take(0)))).toEqual([]);
    expect(source.log.pulls).toBe(0);
    expect(source.log.returns).toBe(1);
  });

  it('does not close a source that ended before the count', async () => {
    const source = tracked([1]);
    expect(await toArray(pipe(source, take(5)))).toEqual([1]);
    expect(source.log.returns).toBe(0);
    expect(source.log.closes).toBe(1);
  });

  it('rethrows what closing the source threw on the call after the last item', async () => {
    const failure = new Error('cleanup failed');
    async function* source() {
      try {
        yield 1;
        yield 2;
      } finally {
        // eslint-disable-next-line no-unsafe-finally
        throw failure;
      }
    }
    const iterator = pipe(source(), take(1))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('throws at once for a count that is not an integer from 0', () => {
    expect(() => take(-1)).toThrow(RangeError);
    expect(() => take(Infinity)).toThrow(/`count`/);
  });
});

describe('batch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits full batches and a shorter last one', async () => {
    expect(await toArray(pipe([1, 2, 3, 4, 5], batch(2)))).toEqual([[1, 2], [3, 4], [5]]);
    expect(await toArray(pipe(tracked([1, 2, 3, 4]), batch(2)))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('emits a partial batch once maxWaitMs has passed since its first item', async () => {
    const gates = [deferred(), deferred()];
    async function* source() {
      yield 1;
      yield 2;
      await gates[0]!.promise;
      yield 3;
      await gates[1]!.promise;
      yield 4;
    }
    const iterator = pipe(source(), batch(10, { maxWaitMs: 100 }))[Symbol.asyncIterator]();
    const first = iterator.next();
    let settled = false;
    void first.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toEqual({ done: false, value: [1, 2] });
    // The pull still pending when time ran out starts the next batch.
    const second = iterator.next();
    gates[0]!.resolve();
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toEqual({ done: false, value: [3] });
    const third = iterator.next();
    gates[1]!.resolve();
    expect(await third).toEqual({ done: false, value: [4] });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer and closes the source when the consumer leaves mid-batch', async () => {
    const gate = deferred();
    const source = tracked([1]);
    const inner = source[Symbol.asyncIterator]();
    let calls = 0;
    const slow = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (calls++ === 1) await gate.promise;
          return inner.next();
        },
        return: () => inner.return!(),
      }),
    };
    const iterator = pipe(slow, batch(5, { maxWaitMs: 1_000 }))[Symbol.asyncIterator]();
    const pending = iterator.next();
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(1);
    const closing = iterator.return?.();
    expect(vi.getTimerCount()).toBe(0);
    gate.resolve();
    await closing;
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(source.log.returns).toBe(1);
  });

  it('rethrows a source failure and drops the partial batch', async () => {
    const failure = new Error('read failed');
    await expect(toArray(pipe(tracked([1, 2, 3], { failAt: 1, error: failure }), batch(2)))).rejects.toBe(failure);
  });

  it('throws at once for a bad size or maxWaitMs', () => {
    expect(() => batch(0)).toThrow(/`size`/);
    expect(() => batch(2, { maxWaitMs: 0 })).toThrow(/`maxWaitMs`/);
    expect(() => batch(2, { maxWaitMs: Number.NaN })).toThrow(RangeError);
  });
});

describe('buffer', () => {
  it('pulls nothing before the first next(), then reads ahead up to its size', async () => {
    const source = tracked([1, 2, 3, 4, 5, 6, 7, 8]);
    const iterator = pipe(source, buffer(3))[Symbol.asyncIterator]();
    await ticks();
    expect(source.log.pulls).toBe(0);
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await ticks();
    expect(source.log.pulls).toBe(4);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await ticks();
    expect(source.log.pulls).toBe(5);
    await iterator.return?.();
    expect(source.log.returns).toBe(1);
  });

  it('keeps the order and yields buffered items before a source failure', async () => {
    const failure = new Error('late');
    const iterator = pipe(tracked([1, 2, 3], { failAt: 3, error: failure }), buffer(8))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await ticks();
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('reads a sync source and finishes', async () => {
    expect(await toArray(pipe([1, 2, 3], buffer(2)))).toEqual([1, 2, 3]);
  });

  it('answers a pending next() with done when the consumer leaves', async () => {
    const gate = deferred();
    async function* source() {
      await gate.promise;
      yield 1;
    }
    const iterator = pipe(source(), buffer(2))[Symbol.asyncIterator]();
    const pending = iterator.next();
    await ticks();
    const closing = iterator.return?.();
    gate.resolve();
    await closing;
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('throws at once for a bad size', () => {
    expect(() => buffer(0)).toThrow(RangeError);
  });
});
