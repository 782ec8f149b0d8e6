import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { BubbleUp, CancelledError, type CancellationToken } from '@x/core';
import { map, pipe, take, toArray } from '../src/index.js';
import { deferred, ticks, tracked, untilCancelled, type Deferred } from './helpers.js';

describe('map', () => {
  it('transforms each item in order and passes a token last', async () => {
    const tokens: CancellationToken[] = [];
    const out = await toArray(
      pipe(
        [1, 2, 3],
        map((n: number, token) => {
          tokens.push(token);
          return n * 10;
        }),
      ),
    );
    expect(out).toEqual([10, 20, 30]);
    expect(tokens).toHaveLength(3);
    expect(tokens.every((token) => !token.isCancelled)).toBe(true);
  });

  it('awaits async callbacks', async () => {
    const out = await toArray(pipe(tracked([1, 2, 3]), map(async (n: number) => n + 1)));
    expect(out).toEqual([2, 3, 4]);
  });

  it('pulls nothing before the consumer asks', async () => {
    const source = tracked([1, 2, 3]);
    const piped = pipe(source, map((n: number) => n, { concurrency: 2 }));
    const iterator = piped[Symbol.asyncIterator]();
    await ticks();
    expect(source.log.pulls).toBe(0);
    await iterator.next();
    await iterator.return?.();
  });

  it('opens the source afresh each time the pipeline is iterated', async () => {
    const piped = pipe([1, 2], map((n: number) => n * 2));
    expect(await toArray(piped)).toEqual([2, 4]);
    expect(await toArray(piped)).toEqual([2, 4]);
  });

  it('never runs more than `concurrency` callbacks nor pulls further ahead', async () => {
    const source = tracked([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const gates: Deferred<number>[] = [];
    let running = 0;
    let peak = 0;
    const iterator = pipe(
      source,
      map(
        async (n: number) => {
          running++;
          peak = Math.max(peak, running);
          const gate = deferred<number>();
          gates[n] = gate;
          try {
            return await gate.promise;
          } finally {
            running--;
          }
        },
        { concurrency: 3 },
      ),
    )[Symbol.asyncIterator]();
    const first = iterator.next();
    await ticks();
    expect(running).toBe(3);
    expect(source.log.pulls).toBe(3);
    gates[1]!.resolve(1);
    await ticks();
    // Slot 1 is done but not yielded (slot 0 is still running): the window stays full.
    expect(source.log.pulls).toBe(3);
    gates[0]!.resolve(0);
    expect(await first).toEqual({ done: false, value: 0 });
    await ticks();
    expect(source.log.pulls).toBe(4);
    expect(peak).toBe(3);
    // A callback that ignores its token is still awaited by return(): let them finish.
    const closing = iterator.return?.();
    for (const gate of gates) gate.resolve(-1);
    await closing;
    expect(running).toBe(0);
  });

  it('yields in source order when ordered, as they complete when not', async () => {
    const delays = [30, 10, 20];
    const run = (ordered: boolean) =>
      toArray(
        pipe(
          delays,
          map(
            async (ms: number) => {
              for (let i = 0; i < ms; i++) await Promise.resolve();
              return ms;
            },
            { concurrency: 3, ordered },
          ),
        ),
      );
    expect(await run(true)).toEqual([30, 10, 20]);
    expect(await run(false)).toEqual([10, 20, 30]);
  });

  it('accepts Infinity as concurrency', async () => {
    expect(await toArray(pipe([1, 2, 3], map(async (n: number) => n, { concurrency: Infinity })))).toEqual([1, 2, 3]);
  });

  it('cancels and awaits running callbacks, then closes the source, then rethrows a failure', async () => {
    const source = tracked([0, 1, 2, 3]);
    const events: string[] = [];
    const failure = new Error('boom');
    const iterable = pipe(
      source,
      map(
        async (n: number, token) => {
          if (n === 1) {
            await ticks(5);
            events.push('fail');
            throw failure;
          }
          try {
            return await untilCancelled(token);
          } catch (error) {
            await ticks(5);
            events.push(`settled ${n}`);
            expect(source.log.returns).toBe(0);
            throw error;
          }
        },
        { concurrency: 3 },
      ),
    );
    await expect(toArray(iterable)).rejects.toBe(failure);
    expect(events).toEqual(['fail', 'settled 0', 'settled 2']);
    expect(source.log.returns).toBe(1);
    expect(source.log.closes).toBe(1);
  });

  it('gives the failure as the reason of the cancelled tokens', async () => {
    const failure = new Error('boom');
    let seen: unknown;
    const iterable = pipe(
      [0, 1],
      map(
        async (n: number, token) => {
          if (n === 1) throw failure;
          try {
            return await untilCancelled(token);
          } finally {
            seen = token.reason;
          }
        },
        { concurrency: 2 },
      ),
    );
    await expect(toArray(iterable)).rejects.toBe(failure);
    expect(seen).toBe(failure);
  });

  it('rethrows a failure of the sequential callback after closing the source', async () => {
    const source = tracked([1, 2, 3]);
    const failure = new Error('nope');
    await expect(
      toArray(
        pipe(
          source,
          map((n: number) => {
            if (n === 2) throw failure;
            return n;
          }),
        ),
      ),
    ).rejects.toBe(failure);
    expect(source.log.returns).toBe(1);
    expect(source.log.pulls).toBe(2);
  });

  it('fails cleanly when a concurrent callback throws synchronously', async () => {
    const source = tracked([1, 2, 3, 4]);
    const failure = new Error('sync');
    let cancelled = 0;
    const iterable = pipe(
      source,
      map(
        (n: number, token) => {
          if (n === 2) throw failure;
          return untilCancelled(token).catch((error: unknown) => {
            cancelled++;
            throw error;
          });
        },
        { concurrency: 3 },
      ),
    );
    await expect(toArray(iterable)).rejects.toBe(failure);
    expect(cancelled).toBe(1);
    expect(source.log.returns).toBe(1);
  });

  it('rethrows what a sync source throws, without closing it', async () => {
    const failure = new Error('bad row');
    let returns = 0;
    const rows: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw failure;
        },
        return: () => {
          returns++;
          return { done: true, value: undefined };
        },
      }),
    };
    for (const concurrency of [1, 2]) {
      await expect(toArray(pipe(rows, map((n: number) => n, { concurrency })))).rejects.toBe(failure);
    }
    expect(returns).toBe(0);
  });

  it('passes a BubbleUp through unchanged', async () => {
    const interrupt = new BubbleUp('stop');
    for (const concurrency of [1, 4]) {
      await expect(
        toArray(
          pipe(
            [1, 2],
            map(
              async () => {
                throw interrupt;
              },
              { concurrency },
            ),
          ),
        ),
      ).rejects.toBe(interrupt);
    }
  });

  it('does not close a source that failed, and cancels running callbacks', async () => {
    const failure = new Error('source broke');
    const source = tracked([0, 1], { failAt: 2, error: failure });
    let cancelled = 0;
    const iterable = pipe(
      source,
      map(
        async (n: number, token) => {
          if (n === 0) return n;
          try {
            return await untilCancelled(token);
          } finally {
            cancelled++;
          }
        },
        { concurrency: 4 },
      ),
    );
    await expect(toArray(iterable)).rejects.toBe(failure);
    expect(cancelled).toBe(1);
    expect(source.log.returns).toBe(0);
    expect(source.log.closes).toBe(1);
  });

  it('cleans up without an error when the consumer breaks out early', async () => {
    const source = tracked([0, 1, 2, 3, 4, 5]);
    const reasons: unknown[] = [];
    const started: number[] = [];
    const iterable = pipe(
      source,
      map(
        async (n: number, token) => {
          started.push(n);
          if (n === 0) return n;
          try {
            return await untilCancelled(token);
          } catch (error) {
            reasons.push(error);
            throw error;
          }
        },
        { concurrency: 3 },
      ),
    );
    for await (const value of iterable) {
      expect(value).toBe(0);
      break;
    }
    expect(reasons).toHaveLength(2);
    expect(reasons.every((reason) => CancelledError.is(reason))).toBe(true);
    expect(source.log.returns).toBe(1);
    await ticks();
    expect(started).toEqual([0, 1, 2]);
  });

  it('resolves a pending next() as done when return() is called meanwhile', async () => {
    const source = tracked([1, 2, 3]);
    for (const concurrency of [1, 3]) {
      const iterator = pipe(
        source,
        map((_: number, token) => untilCancelled(token), { concurrency }),
      )[Symbol.asyncIterator]();
      const pending = iterator.next();
      await ticks();
      await iterator.return?.();
      expect(await pending).toEqual({ done: true, value: undefined });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    }
  });

  it('starts no callback for an item that arrives after the consumer left', async () => {
    const gate = deferred();
    let calls = 0;
    async function* slow() {
      yield 1;
      await gate.promise;
      yield 2;
    }
    const iterator = pipe(
      slow(),
      map(
        (n: number) => {
          calls++;
          return n;
        },
        { concurrency: 2 },
      ),
    )[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await ticks();
    const closing = iterator.return?.();
    gate.resolve();
    await closing;
    expect(calls).toBe(1);
  });

  it('serialises concurrent next() calls', async () => {
    let running = 0;
    let peak = 0;
    const iterator = pipe(
      tracked([1, 2, 3]),
      map(async (n: number) => {
        running++;
        peak = Math.max(peak, running);
        await ticks(3);
        running--;
        return n;
      }),
    )[Symbol.asyncIterator]();
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    expect(results.map((r) => (r.done === true ? undefined : r.value))).toEqual([1, 2, 3, undefined]);
    expect(peak).toBe(1);
  });

  it('runs callbacks in the async context of the consumer', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen = await storage.run('request-1', () =>
      toArray(pipe(tracked([1, 2, 3, 4]), map(async () => storage.getStore(), { concurrency: 2 }))),
    );
    expect(seen).toEqual(['request-1', 'request-1', 'request-1', 'request-1']);
  });

  it('stops upstream work as soon as take has what it needs', async () => {
    const source = tracked([0, 1, 2, 3, 4, 5, 6, 7]);
    let started = 0;
    let cancelled = 0;
    const out = await toArray(
      pipe(
        source,
        map(
          async (n: number, token) => {
            if (n < 2) return n;
            started++;
            try {
              return await untilCancelled(token);
            } finally {
              cancelled++;
            }
          },
          { concurrency: 4 },
        ),
        take(2),
      ),
    );
    expect(out).toEqual([0, 1]);
    expect(started).toBeGreaterThanOrEqual(2);
    expect(started).toBeLessThanOrEqual(4);
    expect(cancelled).toBe(started);
    expect(source.log.returns).toBe(1);
  });

  it('throws at once for bad arguments, naming them', () => {
    expect(() => map(42 as never)).toThrow(TypeError);
    expect(() => map(42 as never)).toThrow(/`fn`/);
    expect(() => map((x) => x, { concurrency: 0 })).toThrow(RangeError);
    expect(() => map((x) => x, { concurrency: 1.5 })).toThrow(/`concurrency`.*`1.5`/);
    expect(() => map((x) => x, { concurrency: '2' as never })).toThrow(TypeError);
    expect(() => map((x) => x)(42 as never)).toThrow(/`source`/);
    expect(() => map((x) => x, { ordered: 'no' as never })).toThrow(/`ordered`.*"no"/);
  });
});
