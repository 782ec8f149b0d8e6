import { describe, expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import { AsyncCache, type CacheFactory, type CacheStats, type GetOrSetOptions } from '@x/cache';

interface User {
  readonly id: string;
  readonly name: string;
}

describe('AsyncCache types', () => {
  it('resolves getOrSet to the value type and hands the factory the key and a token', () => {
    const cache = new AsyncCache<string, User>({ max: 10, ttlMs: 1_000 });
    const user = cache.getOrSet('u1', (key, token) => {
      expectTypeOf(key).toEqualTypeOf<string>();
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
      return Promise.resolve({ id: key, name: 'Ada' });
    });
    expectTypeOf(user).toEqualTypeOf<Promise<User>>();
  });

  it('accepts a factory returning a plain value or a thenable', () => {
    const cache = new AsyncCache<number, string>();
    expectTypeOf(cache.getOrSet(1, () => 'one')).toEqualTypeOf<Promise<string>>();
    const thenable: PromiseLike<string> = Promise.resolve('two');
    expectTypeOf(cache.getOrSet(2, () => thenable)).toEqualTypeOf<Promise<string>>();
  });

  it('rejects a factory of the wrong value type or key type', () => {
    const cache = new AsyncCache<string, User>();
    // @ts-expect-error the factory must produce a User
    void cache.getOrSet('u1', () => Promise.resolve(42));
    // @ts-expect-error keys are strings
    void cache.getOrSet(1, () => ({ id: '1', name: 'x' }));
  });

  it('types the synchronous accessors and the stats snapshot', () => {
    const cache = new AsyncCache<string, number>();
    expectTypeOf(cache.get('a')).toEqualTypeOf<number | undefined>();
    expectTypeOf(cache.has('a')).toEqualTypeOf<boolean>();
    expectTypeOf(cache.set('a', 1)).toEqualTypeOf<AsyncCache<string, number>>();
    expectTypeOf(cache.delete('a')).toEqualTypeOf<boolean>();
    expectTypeOf(cache.size).toEqualTypeOf<number>();
    expectTypeOf(cache.stats).toEqualTypeOf<CacheStats>();
    expectTypeOf(cache.stats.hits).toEqualTypeOf<number>();
    // @ts-expect-error stats is read-only
    cache.stats = { hits: 0, misses: 0, loads: 0, evictions: 0 };
  });

  it('takes an AbortSignal or a token as signal, and nothing else', () => {
    const cache = new AsyncCache<string, number>();
    expectTypeOf<GetOrSetOptions['signal']>().toEqualTypeOf<AbortSignal | CancellationToken | undefined>();
    void cache.getOrSet('a', () => 1, { signal: AbortSignal.timeout(10), ttlMs: 5 });
    // @ts-expect-error a string is not a signal
    void cache.getOrSet('a', () => 1, { signal: 'stop' });
  });

  it('exports the factory type for reuse', () => {
    const load: CacheFactory<string, number> = (key) => key.length;
    expectTypeOf(load).parameters.toEqualTypeOf<[string, CancellationToken]>();
  });
});
