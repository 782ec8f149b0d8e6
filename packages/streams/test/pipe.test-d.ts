import { describe, expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import {
  batch,
  buffer,
  filter,
  flatMap,
  forEach,
  map,
  merge,
  pipe,
  reduce,
  take,
  tap,
  toArray,
  type Operator,
} from '../src/index.js';

declare const numbers: AsyncIterable<number>;

describe('types', () => {
  it('infers the item type through twelve operators', () => {
    const piped = pipe(
      numbers,
      map((n) => n * 2),
      filter((n) => n > 2),
      map(async (n) => String(n), { concurrency: 4 }),
      tap((s) => {
        expectTypeOf(s).toEqualTypeOf<string>();
      }),
      flatMap((s) => s.split('')),
      batch(10),
      map((chars) => chars.join('')),
      buffer(4),
      take(5),
      map((s, token) => {
        expectTypeOf(token).toEqualTypeOf<CancellationToken>();
        return { length: s.length };
      }),
      filter(({ length }) => length > 0),
      map(({ length }) => length > 3),
    );
    expectTypeOf(piped).toEqualTypeOf<AsyncIterable<boolean>>();
  });

  it('unwraps promises returned by map and flatMap callbacks', () => {
    expectTypeOf(pipe([1], map(async (n) => [n]))).toEqualTypeOf<AsyncIterable<number[]>>();
    expectTypeOf(pipe([1], flatMap(async (n) => [n, n]))).toEqualTypeOf<AsyncIterable<number>>();
    async function* letters(): AsyncGenerator<string> {
      yield 'a';
    }
    expectTypeOf(pipe([1], flatMap(() => letters()))).toEqualTypeOf<AsyncIterable<string>>();
  });

  it('narrows with a type-guard filter', () => {
    const mixed = pipe(
      [1, 'a', 2] as (number | string)[],
      filter((x): x is number => typeof x === 'number'),
    );
    expectTypeOf(mixed).toEqualTypeOf<AsyncIterable<number>>();
  });

  it('types merge as the union of its sources', () => {
    expectTypeOf(merge(numbers, ['a'], new Set([true]))).toEqualTypeOf<AsyncIterable<number | string | boolean>>();
  });

  it('types sinks from the iterable', () => {
    expectTypeOf(toArray(numbers)).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(reduce(numbers, (acc, n) => acc + String(n), '')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(forEach(numbers, (n) => n)).toEqualTypeOf<Promise<void>>();
  });

  it('accepts hand-written operators and rejects mismatched ones', () => {
    const double: Operator<number, number> = (source) => pipe(source, map((n) => n * 2));
    expectTypeOf(pipe(numbers, double)).toEqualTypeOf<AsyncIterable<number>>();
    // @ts-expect-error a string operator cannot follow a number source
    pipe(numbers, map((s: string) => s.length));
    // @ts-expect-error batch yields arrays
    pipe(numbers, batch(2), map((n: number) => n));
  });

  it('rejects options of the wrong type', () => {
    // @ts-expect-error concurrency is a number
    map((n: number) => n, { concurrency: '4' });
    // @ts-expect-error maxWaitMs is a number
    batch(2, { maxWaitMs: true });
    // @ts-expect-error signal must be an AbortSignal or a token
    void toArray([1], { signal: 5 });
  });
});
