import { describe, expect, it } from 'vitest';
import { batch, buffer, filter, flatMap, map, merge, pipe, reduce, take, tap, toArray } from '../src/index.js';
import { tracked } from './helpers.js';

describe('pipe', () => {
  it('with no operator turns a sync iterable into an async one', async () => {
    const piped = pipe(new Set([1, 2]));
    expect(typeof piped[Symbol.asyncIterator]).toBe('function');
    expect(await toArray(piped)).toEqual([1, 2]);
  });

  it('returns an async iterable source unchanged when given no operator', () => {
    const source = tracked([1]);
    expect(pipe(source)).toBe(source);
  });

  it('runs a long pipeline end to end', async () => {
    const seen: number[] = [];
    const out = await toArray(
      pipe(
        merge(tracked([1, 2, 3]), [4, 5, 6]),
        map(async (n: number) => n * 2, { concurrency: 3 }),
        filter((n: number) => n !== 4),
        tap((n: number) => {
          seen.push(n);
        }),
        flatMap((n: number) => [n, n + 1]),
        buffer(4),
        map((n: number) => String(n), { concurrency: 2, ordered: false }),
        map((s: string) => s.length),
        batch(3),
        map((xs: number[]) => xs.reduce((a, b) => a + b, 0)),
        take(100),
      ),
    );
    expect(seen).toHaveLength(5);
    expect(out.reduce((a, b) => a + b, 0)).toBe(await reduce([2, 6, 8, 10, 12], (acc, n) => acc + String(n).length + String(n + 1).length, 0));
  });

  it('throws at once for a non-iterable source or a non-function operator', () => {
    expect(() => pipe(null as never)).toThrow(/Expected `source` to be an iterable or an async iterable, got `null`/);
    expect(() => pipe([1], map((n: number) => n), 'op' as never)).toThrow(/`operators\[1\]`/);
  });
});
