// @x/cache: get-or-set over 1k keys with LRU and TTL on, against a naive Map<key, Promise>
// (no LRU, no TTL, no cancellation: the floor a cache can hope for), lru-cache's fetch,
// p-memoize (over an lru-cache store, for LRU + TTL) and async-cache-dedupe.
import { AsyncCache } from '@x/cache';
import { LRUCache } from 'lru-cache';
import pMemoize from 'p-memoize';
import { createCache } from 'async-cache-dedupe';

const KEYS = 1_000;
const TTL_MS = 60_000;

async function load(key) {
  return key * 2;
}

/** A fixed pseudo-random key sequence (xorshift), so every implementation sees the same keys. */
function keySequence(length, range) {
  const keys = new Uint32Array(length);
  let x = 2463534242;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = (x >>> 0) % range;
  }
  return keys;
}

function check(value, key) {
  if (value !== key * 2) throw new Error(`got ${value} for key ${key}`);
}

/**
 * One implementation per scenario: `make(max)` builds a get-or-set function over a cache that
 * holds `max` values; it is built once per process, so warm-up fills it as in a long-lived app.
 */
const makers = {
  x: (max) => {
    const cache = new AsyncCache({ max, ttlMs: TTL_MS });
    return (key) => cache.getOrSet(key, load);
  },
  'naive Map<key, Promise>': () => {
    const map = new Map();
    return (key) => {
      let promise = map.get(key);
      if (promise === undefined) {
        promise = load(key);
        map.set(key, promise);
      }
      return promise;
    };
  },
  'lru-cache fetch': (max) => {
    const cache = new LRUCache({ max, ttl: TTL_MS, fetchMethod: (key) => load(key) });
    return (key) => cache.fetch(key);
  },
  'p-memoize (lru-cache store)': (max) => pMemoize(load, { cache: new LRUCache({ max, ttl: TTL_MS }) }),
  'async-cache-dedupe': (max) => {
    const cache = createCache({ ttl: TTL_MS / 1_000, storage: { type: 'memory', options: { size: max } } });
    cache.define('load', load);
    return (key) => cache.load(key);
  },
};

/**
 * Get-or-set over `keys` with a cache of `max` values. `awaitEvery` 1: each call awaited, as an
 * app does. `awaitEvery` 100: calls issued back to back, every 100th result awaited and
 * checked, so that the `await` hop (the same for every implementation) does not hide what the
 * call itself costs; returning a stored promise (x, naive) allocates nothing, an async `fetch`
 * makes one per call.
 */
function scenario(name, ops, max, keys, awaitEvery = 1) {
  const impls = {};
  for (const [implName, make] of Object.entries(makers)) {
    let getOrSet;
    impls[implName] = async (n) => {
      getOrSet ??= make(max);
      for (let i = 0; i < n; i++) {
        const key = keys[i % keys.length];
        const promise = getOrSet(key);
        if (i % awaitEvery === awaitEvery - 1) check(await promise, key);
      }
    };
  }
  return { name, ops, ours: 'x', floor: awaitEvery === 1, impls };
}

const SEQUENCE = keySequence(100_000, KEYS);

export default {
  suite: 'cache',
  scenarios: [
    scenario('get-or-set over 1k keys, all held (max 1000, TTL 60 s): mostly hits', 100_000, KEYS, SEQUENCE),
    scenario('the call alone on a hit: 1k keys, all held (max 1000, TTL 60 s), every 100th result awaited', 100_000, KEYS, SEQUENCE, 100),
    scenario('get-or-set over 1k random keys, half held (max 500, TTL 60 s): hits, misses and evictions', 100_000, KEYS / 2, SEQUENCE),
    {
      name: '10 concurrent callers per key on a cold cache (single flight), 1k keys',
      ops: 10_000,
      ours: 'x',
      impls: Object.fromEntries(
        Object.entries(makers).map(([implName, make]) => [
          implName,
          async (n) => {
            // A fresh cache each time: every key is a miss that 10 callers share.
            const getOrSet = make(KEYS);
            const waits = new Array(10);
            for (let i = 0; i < n / 10; i++) {
              for (let j = 0; j < 10; j++) waits[j] = getOrSet(i % KEYS);
              for (let j = 0; j < 10; j++) check(await waits[j], i % KEYS);
            }
          },
        ]),
      ),
    },
    {
      name: 'memory per stored value (getOrSet of new keys, max = keys, TTL 60 s)',
      unit: 'bytes',
      ops: 100_000,
      ours: 'x',
      impls: Object.fromEntries(
        Object.entries(makers).map(([implName, make]) => [
          implName,
          async (n) => {
            globalThis.gc();
            const before = process.memoryUsage().heapUsed;
            const getOrSet = make(n);
            for (let i = 0; i < n; i++) check(await getOrSet(i), i);
            globalThis.gc();
            const bytes = (process.memoryUsage().heapUsed - before) / n;
            // Keep the cache reachable until after the measurement, and check it held everything.
            check(await getOrSet(0), 0);
            return bytes;
          },
        ]),
      ),
    },
  ],
};
