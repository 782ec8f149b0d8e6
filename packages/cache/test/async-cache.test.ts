import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancellationSource, CancelledError, CancellationToken } from '@x/core';
import { AsyncCache } from '@x/cache';
import { abortListeners } from '../../../test-utils/soak.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A factory whose calls stay pending until the test settles them. */
function controlled<K, V>() {
  const calls: { key: K; token: CancellationToken; deferred: Deferred<V> }[] = [];
  const factory = vi.fn((key: K, token: CancellationToken) => {
    const d = deferred<V>();
    calls.push({ key, token, deferred: d });
    return d.promise;
  });
  return { factory, calls };
}

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('AsyncCache.getOrSet', () => {
  it('runs the factory once for concurrent misses on one key and gives every caller its value', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const a = cache.getOrSet('k', factory);
    const b = cache.getOrSet('k', factory);
    const c = cache.getOrSet('k', factory, { signal: new AbortController().signal });
    expect(factory).toHaveBeenCalledTimes(1);
    calls[0]!.deferred.resolve(7);
    expect(await Promise.all([a, b, c])).toEqual([7, 7, 7]);
    expect(cache.stats).toEqual({ hits: 0, misses: 3, loads: 1, evictions: 0 });
  });

  it('passes the key and a CancellationToken to the factory', async () => {
    const cache = new AsyncCache<string, string>();
    const factory = vi.fn((key: string, token: CancellationToken) => {
      expect(CancellationToken.is(token)).toBe(true);
      return `v:${key}`;
    });
    expect(await cache.getOrSet('a', factory)).toBe('v:a');
    expect(factory).toHaveBeenCalledWith('a', expect.any(CancellationToken));
  });

  it('serves a stored value without calling the factory again and counts a hit', async () => {
    const cache = new AsyncCache<string, number>();
    const factory = vi.fn(async () => 1);
    await cache.getOrSet('k', factory);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    expect(factory).toHaveBeenCalledTimes(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 1, loads: 1, evictions: 0 });
  });

  it('returns the same promise to every hit instead of allocating one per call', async () => {
    const cache = new AsyncCache<string, number>();
    await cache.getOrSet('k', async () => 1);
    const first = cache.getOrSet('k', async () => 2);
    expect(cache.getOrSet('k', async () => 3)).toBe(first);
    expect(await first).toBe(1);
  });

  it('never makes one key wait on a load of another', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const slow = cache.getOrSet('slow', factory);
    const fast = cache.getOrSet('fast', async () => 2);
    expect(await fast).toBe(2);
    calls[0]!.deferred.resolve(1);
    expect(await slow).toBe(1);
  });

  it('accepts a factory that returns a plain value', async () => {
    const cache = new AsyncCache<string, number>();
    expect(await cache.getOrSet('k', () => 5)).toBe(5);
    expect(cache.get('k')).toBe(5);
  });

  it('accepts a factory that returns a non-native thenable', async () => {
    const cache = new AsyncCache<string, number>();
    const thenable: PromiseLike<number> = {
      then(onFulfilled) {
        return Promise.resolve(onFulfilled?.(9) as never);
      },
    };
    expect(await cache.getOrSet('k', () => thenable)).toBe(9);
    expect(cache.get('k')).toBe(9);
  });

  it('rejects every caller of a failed load with the same error and stores nothing', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const error = new Error('boom');
    const a = settled(cache.getOrSet('k', factory));
    const b = settled(cache.getOrSet('k', factory, { signal: new AbortController().signal }));
    calls[0]!.deferred.reject(error);
    expect(await a).toEqual({ error });
    expect((await b).error).toBe(error);
    expect(cache.has('k')).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('loads again after a failure', async () => {
    const cache = new AsyncCache<string, number>();
    await expect(cache.getOrSet('k', () => Promise.reject(new Error('first')))).rejects.toThrow('first');
    expect(await cache.getOrSet('k', async () => 2)).toBe(2);
    expect(cache.stats.loads).toBe(2);
  });

  it('turns a factory that throws synchronously into a rejection', async () => {
    const cache = new AsyncCache<string, number>();
    const error = new TypeError('sync');
    const promise = cache.getOrSet('k', () => {
      throw error;
    });
    await expect(promise).rejects.toBe(error);
    expect(cache.size).toBe(0);
  });

  it('passes a BubbleUp through unchanged and does not cache it', async () => {
    const cache = new AsyncCache<string, number>();
    const interrupt = new BubbleUp('interrupt');
    await expect(cache.getOrSet('k', () => Promise.reject(interrupt))).rejects.toBe(interrupt);
    expect(cache.size).toBe(0);
    expect(await cache.getOrSet('k', () => 1)).toBe(1);
  });

  it('runs the factory in the async context of the caller that started the load', async () => {
    const storage = new AsyncLocalStorage<string>();
    const cache = new AsyncCache<string, string | undefined>();
    const seen = await storage.run('request-1', () => cache.getOrSet('k', async () => storage.getStore()));
    expect(seen).toBe('request-1');
  });

  it('throws a TypeError naming factory when it is not a function', () => {
    const cache = new AsyncCache<string, number>();
    expect(() => cache.getOrSet('k', 'nope' as never)).toThrow(
      new TypeError('Expected `factory` to be a function, got `"nope"` (string)'),
    );
  });

  it('throws a RangeError naming ttlMs when it is not positive', () => {
    const cache = new AsyncCache<string, number>();
    expect(() => cache.getOrSet('k', () => 1, { ttlMs: 0 })).toThrow(
      new RangeError('Expected `ttlMs` to be a positive number of milliseconds, got `0` (number)'),
    );
    expect(() => cache.getOrSet('k', () => 1, { ttlMs: Number.NaN })).toThrow(RangeError);
    expect(() => cache.getOrSet('k', () => 1, { ttlMs: '5' as never })).toThrow(TypeError);
  });

  it('throws a TypeError naming signal when it is neither an AbortSignal nor a token', () => {
    const cache = new AsyncCache<string, number>();
    expect(() => cache.getOrSet('k', () => 1, { signal: 'x' as never })).toThrow(/`signal`/);
  });
});

describe('AsyncCache cancellation', () => {
  it('rejects at once with CancelledError and starts nothing when the signal has already fired', async () => {
    const cache = new AsyncCache<string, number>();
    const factory = vi.fn(() => 1);
    const controller = new AbortController();
    const reason = new Error('gone');
    controller.abort(reason);
    const error = (await settled(cache.getOrSet('k', factory, { signal: controller.signal }))).error;
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe(reason);
    expect(factory).not.toHaveBeenCalled();
    expect(cache.stats).toEqual({ hits: 0, misses: 0, loads: 0, evictions: 0 });
  });

  it('rejects an already-cancelled token even when the value is stored', async () => {
    const cache = new AsyncCache<string, number>();
    cache.set('k', 1);
    const source = new CancellationSource();
    source.cancel('stop');
    await expect(cache.getOrSet('k', () => 2, { signal: source.token })).rejects.toBeInstanceOf(CancelledError);
  });

  it('rejects only the caller whose signal fires and lets the others get the value', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const controller = new AbortController();
    const leaving = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    const staying = cache.getOrSet('k', factory, { signal: new AbortController().signal });
    controller.abort('bye');
    const left = await leaving;
    expect(CancelledError.is(left.error)).toBe(true);
    expect((left.error as Error).cause).toBe('bye');
    expect(calls[0]!.token.isCancelled).toBe(false);
    calls[0]!.deferred.resolve(3);
    expect(await staying).toBe(3);
    expect(cache.get('k')).toBe(3);
  });

  it("cancels the factory's token once every caller of the load has gone, and loads anew after", async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const one = new AbortController();
    const two = new AbortController();
    const a = settled(cache.getOrSet('k', factory, { signal: one.signal }));
    const b = settled(cache.getOrSet('k', factory, { signal: two.signal }));
    one.abort();
    expect(calls[0]!.token.isCancelled).toBe(false);
    two.abort();
    expect(calls[0]!.token.isCancelled).toBe(true);
    expect(calls[0]!.token.reason).toEqual(new CancelledError('Every caller waiting for this load has gone'));
    expect(CancelledError.is((await a).error)).toBe(true);
    expect(CancelledError.is((await b).error)).toBe(true);

    const again = cache.getOrSet('k', factory);
    expect(calls).toHaveLength(2);
    calls[0]!.deferred.resolve(1);
    calls[1]!.deferred.resolve(2);
    expect(await again).toBe(2);
    await tick();
    expect(cache.get('k')).toBe(2);
  });

  it('never cancels the token of a load that a caller without a signal waits for', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const controller = new AbortController();
    const a = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    const b = cache.getOrSet('k', factory);
    controller.abort();
    expect(CancelledError.is((await a).error)).toBe(true);
    expect(calls[0]!.token.isCancelled).toBe(false);
    calls[0]!.deferred.resolve(4);
    expect(await b).toBe(4);
  });

  it('gives a factory started without a signal a token that is never cancelled', async () => {
    const cache = new AsyncCache<string, number>();
    let seen: CancellationToken | undefined;
    await cache.getOrSet('k', (_key, token) => {
      seen = token;
      return 1;
    });
    expect(seen).toBe(CancellationToken.none);
  });

  it('serves a hit without adding a listener to the signal', async () => {
    const cache = new AsyncCache<string, number>();
    cache.set('k', 1);
    const controller = new AbortController();
    const hit = cache.getOrSet('k', () => 2, { signal: controller.signal });
    expect(abortListeners(controller.signal)).toBe(0);
    expect(await hit).toBe(1);
  });

  it('removes its abort listener when the load settles', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const controller = new AbortController();
    const promise = cache.getOrSet('k', factory, { signal: controller.signal });
    cache.getOrSet('k', factory, { signal: controller.signal }).catch(() => {});
    expect(abortListeners(controller.signal)).toBe(1);
    calls[0]!.deferred.resolve(1);
    await promise;
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('removes its abort listener when the caller leaves', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory } = controlled<string, number>();
    const controller = new AbortController();
    const promise = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    const other = new AbortController();
    const stay = cache.getOrSet('k', factory, { signal: other.signal });
    controller.abort();
    await promise;
    expect(abortListeners(controller.signal)).toBe(0);
    other.abort();
    await expect(stay).rejects.toBeInstanceOf(CancelledError);
    expect(abortListeners(other.signal)).toBe(0);
  });

  it('does not store the result of a load whose callers have all gone, even if it resolves', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const controller = new AbortController();
    const a = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    controller.abort();
    await a;
    calls[0]!.deferred.resolve(1);
    await tick();
    expect(cache.has('k')).toBe(false);
  });

  it('leaves no unhandled rejection when an abandoned load fails afterwards', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const controller = new AbortController();
    const a = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    controller.abort();
    await a;
    calls[0]!.deferred.reject(new Error('late'));
    await tick();
    expect(cache.size).toBe(0);
  });
});

describe('AsyncCache writes during a load', () => {
  it('keeps the result of a load out of the cache after delete, while its callers still get it', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const a = cache.getOrSet('k', factory);
    expect(cache.delete('k')).toBe(false);
    calls[0]!.deferred.resolve(1);
    expect(await a).toBe(1);
    expect(cache.has('k')).toBe(false);
  });

  it('starts a newer load after delete, which an older one settling later never overwrites', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const older = cache.getOrSet('k', factory);
    cache.delete('k');
    const newer = cache.getOrSet('k', factory);
    expect(calls).toHaveLength(2);
    calls[1]!.deferred.resolve(2);
    expect(await newer).toBe(2);
    calls[0]!.deferred.resolve(1);
    expect(await older).toBe(1);
    await tick();
    expect(cache.get('k')).toBe(2);
  });

  it('keeps the results of loads in flight out of the cache after clear', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const a = cache.getOrSet('a', factory);
    const b = cache.getOrSet('b', factory);
    cache.clear();
    calls[0]!.deferred.resolve(1);
    calls[1]!.deferred.resolve(2);
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(cache.size).toBe(0);
  });

  it('lets a set during a load win over the load result', async () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    const a = cache.getOrSet('k', factory);
    cache.set('k', 10);
    expect(await cache.getOrSet('k', factory)).toBe(10);
    calls[0]!.deferred.resolve(1);
    expect(await a).toBe(1);
    await tick();
    expect(cache.get('k')).toBe(10);
    expect(calls).toHaveLength(1);
  });

  it('does not cancel the token of a load that still has callers when it is deleted', () => {
    const cache = new AsyncCache<string, number>();
    const { factory, calls } = controlled<string, number>();
    cache.getOrSet('k', factory, { signal: new AbortController().signal }).catch(() => {});
    cache.delete('k');
    expect(calls[0]!.token.isCancelled).toBe(false);
    calls[0]!.deferred.resolve(0);
  });
});

describe('AsyncCache re-entrant use', () => {
  it('lets a factory join its own load synchronously instead of starting another', async () => {
    const cache = new AsyncCache<string, number>();
    let inner: Promise<number> | undefined;
    const factory = vi.fn((key: string) => {
      inner ??= cache.getOrSet(key, factory);
      return Promise.resolve(1);
    });
    expect(await cache.getOrSet('k', factory)).toBe(1);
    expect(await inner).toBe(1);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('lets a set made by the factory while it runs win over its result', async () => {
    const cache = new AsyncCache<string, number>();
    expect(
      await cache.getOrSet('k', (key) => {
        cache.set(key, 2);
        return Promise.resolve(1);
      }),
    ).toBe(1);
    await tick();
    expect(cache.get('k')).toBe(2);
  });
});

describe('AsyncCache get, set, has, delete, clear', () => {
  it('sets and gets values synchronously', () => {
    const cache = new AsyncCache<string, number>();
    expect(cache.set('a', 1)).toBe(cache);
    expect(cache.get('a')).toBe(1);
    expect(cache.has('a')).toBe(true);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.has('b')).toBe(false);
    expect(cache.size).toBe(1);
  });

  it('counts a get that returns a value as a hit, and has not at all', () => {
    const cache = new AsyncCache<string, number>();
    cache.set('a', 1);
    cache.get('a');
    cache.get('b');
    cache.has('a');
    expect(cache.stats).toEqual({ hits: 1, misses: 0, loads: 0, evictions: 0 });
  });

  it('replaces a value with set and serves the new one to getOrSet', async () => {
    const cache = new AsyncCache<string, number>();
    await cache.getOrSet('a', () => 1);
    cache.set('a', 2);
    expect(await cache.getOrSet('a', () => 3)).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('deletes a value and says whether there was one', () => {
    const cache = new AsyncCache<string, number>();
    cache.set('a', 1);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.has('a')).toBe(false);
  });

  it('clears every value and keeps the statistics', async () => {
    const cache = new AsyncCache<string, number>({ max: 10 });
    cache.set('a', 1).set('b', 2);
    await cache.getOrSet('a', () => 0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats.hits).toBe(1);
    cache.set('c', 3);
    expect(cache.get('c')).toBe(3);
  });

  it('returns a snapshot from stats', () => {
    const cache = new AsyncCache<string, number>();
    const before = cache.stats;
    cache.set('a', 1);
    cache.get('a');
    expect(before.hits).toBe(0);
    expect(cache.stats.hits).toBe(1);
  });

  it('throws RangeError or TypeError naming the option for bad constructor options', () => {
    expect(() => new AsyncCache({ max: 0 })).toThrow(
      new RangeError('Expected `max` to be an integer from 1 and up, got `0` (number)'),
    );
    expect(() => new AsyncCache({ max: 1.5 })).toThrow(RangeError);
    expect(() => new AsyncCache({ max: '3' as never })).toThrow(TypeError);
    expect(() => new AsyncCache({ ttlMs: -1 })).toThrow(/`ttlMs`/);
    expect(() => new AsyncCache({ staleWhileRevalidateMs: 0 })).toThrow(/`staleWhileRevalidateMs`/);
    expect(() => new AsyncCache({ max: Infinity, ttlMs: Infinity })).not.toThrow();
  });

  it('throws a RangeError naming ttlMs for a bad set ttlMs', () => {
    const cache = new AsyncCache<string, number>();
    expect(() => cache.set('a', 1, { ttlMs: -5 })).toThrow(/`ttlMs`.*`-5`/);
    expect(cache.size).toBe(0);
  });
});

describe('AsyncCache LRU', () => {
  it('evicts the least recently used value beyond max and counts it', () => {
    const cache = new AsyncCache<string, number>({ max: 2 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.has('a')).toBe(false);
    expect(cache.size).toBe(2);
    expect(cache.stats.evictions).toBe(1);
  });

  it('counts get, has and getOrSet hits as uses', async () => {
    const cache = new AsyncCache<string, number>({ max: 3 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('a');
    cache.set('d', 4);
    expect(cache.has('b')).toBe(false);
    cache.has('c');
    cache.set('e', 5);
    expect(cache.has('a')).toBe(false);
    await cache.getOrSet('c', () => 0);
    cache.set('f', 6);
    expect(['c', 'd', 'e', 'f'].filter((k) => cache.has(k))).toEqual(['c', 'e', 'f']);
  });

  it('makes a replaced value the most recently used', () => {
    const cache = new AsyncCache<string, number>({ max: 2 });
    cache.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    expect(cache.get('a')).toBe(3);
    expect(cache.has('b')).toBe(false);
  });

  it('does not count loads in flight towards max', async () => {
    const cache = new AsyncCache<string, number>({ max: 1 });
    const { factory, calls } = controlled<string, number>();
    const a = cache.getOrSet('a', factory);
    const b = cache.getOrSet('b', factory);
    expect(calls).toHaveLength(2);
    calls[0]!.deferred.resolve(1);
    calls[1]!.deferred.resolve(2);
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    await tick();
    expect(cache.size).toBe(1);
    expect(cache.get('b')).toBe(2);
    expect(cache.stats.evictions).toBe(1);
  });
});

describe('AsyncCache TTL', () => {
  it('expires a value after ttlMs, using the clock fake timers control', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 1_000 });
    await cache.getOrSet('k', () => 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(cache.get('k')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.has('k')).toBe(false);
    expect(cache.size).toBe(0);
    expect(await cache.getOrSet('k', () => 2)).toBe(2);
    expect(cache.stats.loads).toBe(2);
  });

  it('sees a clock moved synchronously by fake timers at once', () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100 });
    cache.set('k', 1);
    expect(cache.get('k')).toBe(1);
    vi.advanceTimersByTime(100);
    expect(cache.get('k')).toBeUndefined();
    cache.set('j', 2);
    vi.setSystemTime(Date.now() + 100);
    expect(cache.has('j')).toBe(false);
  });

  it('starts no timer', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 1_000, staleWhileRevalidateMs: 500 });
    await cache.getOrSet('k', () => 1);
    cache.set('j', 2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a per-call ttlMs override the default', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 1_000 });
    await cache.getOrSet('short', () => 1, { ttlMs: 10 });
    cache.set('long', 2, { ttlMs: 5_000 });
    cache.set('default', 3);
    await vi.advanceTimersByTimeAsync(10);
    expect(cache.has('short')).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(cache.has('default')).toBe(false);
    expect(cache.has('long')).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('counts the TTL from when the value was stored, not from when the load started', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100 });
    const load = cache.getOrSet('k', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 1;
    });
    await vi.advanceTimersByTimeAsync(50);
    expect(await load).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(cache.get('k')).toBe(1);
  });

  it('does not count expired values as evictions', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ max: 2, ttlMs: 100 });
    cache.set('a', 1).set('b', 2);
    await vi.advanceTimersByTimeAsync(100);
    cache.set('c', 3).set('d', 4);
    expect(cache.stats.evictions).toBe(0);
    expect(cache.size).toBe(2);
  });

  it('lets a value with ttlMs Infinity outlive the default', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 10 });
    cache.set('k', 1, { ttlMs: Infinity });
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(cache.get('k')).toBe(1);
  });
});

describe('AsyncCache stale-while-revalidate', () => {
  it('serves the stale value and refreshes it once in the background', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    const { factory, calls } = controlled<string, number>();
    const first = cache.getOrSet('k', factory);
    calls[0]!.deferred.resolve(1);
    await first;
    await vi.advanceTimersByTimeAsync(100);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    expect(calls).toHaveLength(2);
    calls[1]!.deferred.resolve(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.get('k')).toBe(2);
    expect(cache.stats).toEqual({ hits: 3, misses: 1, loads: 2, evictions: 0 });
  });

  it('keeps the stale value when the refresh fails, and tries again on the next use', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    const failing = vi.fn(() => Promise.reject(new Error('backend down')));
    expect(await cache.getOrSet('k', failing)).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(await cache.getOrSet('k', failing)).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(failing).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(1);
  });

  it('stores a refreshed value for the ttlMs of the call that started the refresh', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(await cache.getOrSet('k', () => 2, { ttlMs: 10 })).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.get('k')).toBe(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(cache.get('k')).toBeUndefined();
  });

  it('drops the value once the stale window has passed too', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 50 });
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(150);
    expect(cache.size).toBe(0);
    expect(await cache.getOrSet('k', () => 2)).toBe(2);
    expect(cache.stats.hits).toBe(0);
  });

  it('lets callers after the stale window join the refresh in flight', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 50 });
    const { factory, calls } = controlled<string, number>();
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    const joined = cache.getOrSet('k', factory);
    expect(calls).toHaveLength(1);
    calls[0]!.deferred.resolve(2);
    expect(await joined).toBe(2);
    expect(cache.get('k')).toBe(2);
  });

  it('cancels the token of a refresh that is no longer wanted after delete', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 1_000 });
    const { factory, calls } = controlled<string, number>();
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    await cache.getOrSet('k', factory);
    expect(calls[0]!.token.isCancelled).toBe(false);
    cache.delete('k');
    expect(calls[0]!.token.isCancelled).toBe(true);
    expect(CancelledError.is(calls[0]!.token.reason)).toBe(true);
    calls[0]!.deferred.resolve(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.size).toBe(0);
  });

  it('keeps a refresh running when a caller that joined it leaves', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 50 });
    const { factory, calls } = controlled<string, number>();
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    await cache.getOrSet('k', factory);
    await vi.advanceTimersByTimeAsync(50);
    const controller = new AbortController();
    const joined = settled(cache.getOrSet('k', factory, { signal: controller.signal }));
    controller.abort();
    expect(CancelledError.is((await joined).error)).toBe(true);
    expect(calls[0]!.token.isCancelled).toBe(false);
    calls[0]!.deferred.resolve(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.get('k')).toBe(2);
  });

  it('serves the stale value even when the refresh factory clears the cache while it runs', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ max: 5, ttlMs: 100, staleWhileRevalidateMs: 100 });
    cache.set('k', 1).set('j', 0);
    await vi.advanceTimersByTimeAsync(100);
    const stale = cache.getOrSet('k', () => {
      cache.clear();
      return 2;
    });
    expect(await stale).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.size).toBe(0);
    cache.set('x', 3);
    expect(cache.get('x')).toBe(3);
  });

  it('swallows a refresh factory that throws synchronously', async () => {
    vi.useFakeTimers();
    const cache = new AsyncCache<string, number>({ ttlMs: 100, staleWhileRevalidateMs: 100 });
    cache.set('k', 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(
      await cache.getOrSet('k', () => {
        throw new Error('sync');
      }),
    ).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.size).toBe(1);
  });
});
