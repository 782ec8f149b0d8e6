import { describe, expect, it } from 'vitest';
import { merge, pipe, take, toArray } from '../src/index.js';
import { deferred, ticks, tracked } from './helpers.js';

describe('merge', () => {
  it('yields every item of every source and finishes when all have', async () => {
    const out = await toArray(merge(tracked([1, 2, 3]), ['a', 'b'], tracked<boolean>([])));
    expect(out).toHaveLength(5);
    expect(out.filter((x) => typeof x === 'number')).toEqual([1, 2, 3]);
    expect(out.filter((x) => typeof x === 'string')).toEqual(['a', 'b']);
  });

  it('yields items in arrival order', async () => {
    const gates = [deferred(), deferred()];
    async function* slow() {
      await gates[0]!.promise;
      yield 'slow';
    }
    async function* fast() {
      yield 'fast';
      await gates[1]!.promise;
      yield 'fast again';
    }
    const iterator = merge(slow(), fast())[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 'fast' });
    const pending = iterator.next();
    gates[0]!.resolve();
    expect(await pending).toEqual({ done: false, value: 'slow' });
    gates[1]!.resolve();
    expect(await iterator.next()).toEqual({ done: false, value: 'fast again' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('keeps at most one item per source ahead of the consumer', async () => {
    const a = tracked([1, 2, 3, 4, 5]);
    const b = tracked([6, 7, 8, 9, 10]);
    const iterator = merge(a, b)[Symbol.asyncIterator]();
    await ticks();
    expect(a.log.pulls + b.log.pulls).toBe(0);
    await iterator.next();
    await ticks();
    expect(a.log.pulls).toBeLessThanOrEqual(2);
    expect(b.log.pulls).toBeLessThanOrEqual(2);
    await iterator.return?.();
    expect(a.log.returns + b.log.returns).toBe(2);
  });

  it('closes the other sources, then rethrows, when one fails', async () => {
    const failure = new Error('feed down');
    const healthy = tracked([1, 2, 3, 4, 5, 6]);
    await expect(toArray(merge(healthy, tracked([1], { failAt: 1, error: failure })))).rejects.toBe(failure);
    expect(healthy.log.closes).toBe(1);
  });

  it('closes every unfinished source when the consumer leaves early', async () => {
    const a = tracked([1, 2, 3]);
    const b = tracked([4, 5, 6]);
    const done = tracked<number>([]);
    expect(await toArray(pipe(merge(a, b, done), take(2)))).toHaveLength(2);
    expect(a.log.closes).toBe(1);
    expect(b.log.closes).toBe(1);
    expect(done.log.closes).toBe(1);
    expect(done.log.returns).toBe(0);
  });

  it('closes a source whose pull is still pending', async () => {
    const gate = deferred();
    let closed = false;
    async function* waiting() {
      try {
        await gate.promise;
        yield 1;
      } finally {
        closed = true;
      }
    }
    const iterator = merge([0], waiting())[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    const closing = iterator.return?.();
    gate.resolve();
    await closing;
    expect(closed).toBe(true);
  });

  it('of no sources is empty', async () => {
    expect(await toArray(merge())).toEqual([]);
  });

  it('throws at once for a source that is not iterable', () => {
    expect(() => merge([1], 5 as never)).toThrow(/`sources\[1\]`/);
  });
});
