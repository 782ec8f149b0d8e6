import {
  CancellationSource,
  CancellationToken,
  CancelledError,
  abortReason,
  assertFunction,
  assertInteger,
  cancelledError,
  describeValue,
  isAborted,
} from '@x/core';
import { DeadlineHeap } from './internal/deadline-heap.js';

/** Options of {@link AsyncCache}. */
export interface AsyncCacheOptions {
  /** How many values the cache holds at most; the least recently used goes first. Default: no limit. */
  readonly max?: number | undefined;
  /** How long a stored value stays fresh, in ms (positive; `Infinity` = forever, the default). */
  readonly ttlMs?: number | undefined;
  /**
   * How long after expiry a value may still be served by `getOrSet` while one background
   * refresh runs, in ms (positive; `Infinity` = until evicted). Default: off.
   */
  readonly staleWhileRevalidateMs?: number | undefined;
}

/** Options of {@link AsyncCache.getOrSet}. */
export interface GetOrSetOptions {
  /** Abandons this caller's wait: it rejects with `CancelledError` (`cause` = the reason). */
  readonly signal?: AbortSignal | CancellationToken | undefined;
  /** Time to live of the value this call loads, in ms; overrides the cache's `ttlMs`. */
  readonly ttlMs?: number | undefined;
}

/** Options of {@link AsyncCache.set}. */
export interface SetOptions {
  /** Time to live of this value, in ms; overrides the cache's `ttlMs`. */
  readonly ttlMs?: number | undefined;
}

/** Counters of an {@link AsyncCache}, as a snapshot. */
export interface CacheStats {
  /** Calls served from a stored value (fresh, or stale while revalidating). */
  readonly hits: number;
  /** `getOrSet` calls that started a load or joined one in flight. */
  readonly misses: number;
  /** Factory calls, background refreshes included. */
  readonly loads: number;
  /** Values dropped to stay within `max` (expired values are not counted). */
  readonly evictions: number;
}

/**
 * Loads the value of `key`. Receives a token that is cancelled once every caller waiting for
 * this load has gone (or, for a background refresh, once the refresh is no longer wanted).
 */
export type CacheFactory<K, V> = (key: K, token: CancellationToken) => V | PromiseLike<V>;

/** A stored value: a node of the LRU list (head = most recently used) and of the deadline heap. */
class Entry<K, V> {
  prev: Entry<K, V> | null = null;
  next: Entry<K, V> | null = null;
  heapIndex = -1;
  readonly key: K;
  value: V;
  /** A promise fulfilled with `value`, made on the first hit and handed to every later one. */
  promise: Promise<V> | undefined = undefined;
  /** Fresh while `Date.now() < expiresAt`; servable (stale) for `staleWhileRevalidateMs` more. */
  expiresAt: number;

  constructor(key: K, value: V, expiresAt: number) {
    this.key = key;
    this.value = value;
    this.expiresAt = expiresAt;
  }
}

/** A caller that may leave before its load settles: a node of the load's caller list. */
class Caller<K, V> {
  prev: Caller<K, V> | null = null;
  next: Caller<K, V> | null = null;
  load: Load<K, V> | null;
  resolve!: (value: V) => void;
  reject!: (error: unknown) => void;
  registration: Disposable | undefined = undefined;

  constructor(load: Load<K, V>) {
    this.load = load;
  }
}

/** One factory call in flight, shared by every caller of its key. */
class Load<K, V> {
  readonly key: K;
  readonly ttlMs: number;
  /** A background refresh of a stale value (the cache itself wants its result). */
  readonly refresh: boolean;
  /** Present only when the load can be abandoned (its token can be cancelled). */
  readonly source: CancellationSource | undefined;
  /** The factory's result as a native promise; callers that cannot leave share it. */
  promise: Promise<V> | undefined = undefined;
  /** Whether a caller that cannot leave (no signal) waits: then the load is never abandoned. */
  pinned = false;
  /** Callers that can leave, in arrival order. */
  head: Caller<K, V> | null = null;
  tail: Caller<K, V> | null = null;
  count = 0;
  /** Still the load of its key: its result may be stored. */
  attached = true;
  settled = false;

  constructor(key: K, ttlMs: number, refresh: boolean, source: CancellationSource | undefined) {
    this.key = key;
    this.ttlMs = ttlMs;
    this.refresh = refresh;
    this.source = source;
  }

  add(caller: Caller<K, V>): void {
    const tail = this.tail;
    if (tail === null) this.head = caller;
    else {
      tail.next = caller;
      caller.prev = tail;
    }
    this.tail = caller;
    this.count++;
  }

  unlink(caller: Caller<K, V>): void {
    const { prev, next } = caller;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    caller.prev = caller.next = null;
    caller.load = null;
    this.count--;
    const registration = caller.registration;
    if (registration !== undefined) {
      caller.registration = undefined;
      registration[Symbol.dispose]();
    }
  }

  /** Nobody wants the result any more. */
  get unwanted(): boolean {
    return this.count === 0 && !this.pinned && !(this.refresh && this.attached);
  }
}

function checkMs(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a positive number of milliseconds, got ${describeValue(value)}`);
  }
  if (!(value > 0)) {
    throw new RangeError(`Expected \`${name}\` to be a positive number of milliseconds, got ${describeValue(value)}`);
  }
  return value;
}

/** The reason a load's token is cancelled with when its last caller leaves. */
function callersGone(): CancelledError {
  return new CancelledError('Every caller waiting for this load has gone');
}

/** The reason a background refresh's token is cancelled with when delete, clear or set made it moot. */
function refreshUnwanted(): CancelledError {
  return new CancelledError('The refreshed value is no longer wanted (the key was deleted, cleared or set)');
}

function cancelAll(sources: readonly CancellationSource[]): void {
  const errors: unknown[] = [];
  for (const source of sources) {
    try {
      source.cancel(refreshUnwanted());
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cancellation callbacks threw`);
}

/**
 * An async get-or-set cache with per-key single flight, LRU eviction and TTL.
 *
 * Concurrent misses on one key run the factory once and share its result; different keys
 * never wait on each other. Failures (and `BubbleUp`s) are never stored: every caller of that
 * load gets the error and the next call loads again. A hit allocates at most one promise, on
 * the first hit of a stored value; later hits return that same promise. Expiry is computed from
 * `Date.now()` when the cache is used: the cache owns no timer, so it never keeps a process alive.
 *
 * **Cancellation**: see {@link AsyncCache.getOrSet}.
 *
 * **Errors**: `TypeError`/`RangeError` for bad options (`max` not an integer from 1, `ttlMs` or
 * `staleWhileRevalidateMs` not a positive number).
 *
 * @example
 * ```ts
 * const users = new AsyncCache<string, User>({ max: 1_000, ttlMs: 60_000 });
 * const user = await users.getOrSet(id, (id, token) => fetchUser(id, token.signal), { signal });
 * ```
 */
export class AsyncCache<K, V> {
  readonly #entries = new Map<K, Entry<K, V>>();
  readonly #loads = new Map<K, Load<K, V>>();
  readonly #heap = new DeadlineHeap<Entry<K, V>>();
  #head: Entry<K, V> | null = null;
  #tail: Entry<K, V> | null = null;
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #staleMs: number;
  #hits = 0;
  #misses = 0;
  #loadCount = 0;
  #evictions = 0;

  constructor(options: AsyncCacheOptions = {}) {
    const { max, ttlMs, staleWhileRevalidateMs } = options;
    if (max !== undefined && max !== Infinity) assertInteger('max', max, 1);
    this.#max = max ?? Infinity;
    this.#ttlMs = ttlMs === undefined ? Infinity : checkMs('ttlMs', ttlMs);
    this.#staleMs = staleWhileRevalidateMs === undefined ? 0 : checkMs('staleWhileRevalidateMs', staleWhileRevalidateMs);
  }

  /**
   * Returns the value of `key`: the stored one if it is fresh, else the result of
   * `factory(key, token)`, which is then stored. Concurrent misses on `key` share one factory
   * call. With `staleWhileRevalidateMs`, an expired value is still served during that window
   * while one background refresh runs; a failed refresh keeps the stale value.
   *
   * **Cancellation**: when `signal` fires, this caller alone rejects with `CancelledError`
   * (`cause` = the reason) and its listener is removed; the load goes on for the others. The
   * factory's token is cancelled only once every caller of that load has gone; the next call
   * then starts a new load. A caller without a signal never leaves, so its load's token is
   * never cancelled. A signal that has already fired rejects at once and starts nothing.
   *
   * **Fairness**: a caller never waits for anything but its own key's load: no lock, no queue
   * across keys.
   *
   * **Errors**: rejects with what the factory threw or rejected with, unchanged (a `BubbleUp`
   * included), and stores nothing. Throws `TypeError` when `factory` is not a function,
   * `TypeError`/`RangeError` for a bad `ttlMs` or `signal`.
   *
   * @example
   * ```ts
   * const page = await pages.getOrSet(url, (url, token) => fetch(url, { signal: token.signal }).then((r) => r.text()));
   * ```
   */
  getOrSet(key: K, factory: CacheFactory<K, V>, options?: GetOrSetOptions): Promise<V> {
    if (typeof factory !== 'function') assertFunction('factory', factory);
    if (options === undefined) {
      // The hit path, kept small enough to inline: one lookup, one clock read, an LRU touch.
      const entry = this.#entries.get(key);
      if (entry !== undefined) {
        const expiresAt = entry.expiresAt;
        if (expiresAt === Infinity || Date.now() < expiresAt) return this.#hit(entry);
      }
    }
    return this.#getOrSet(key, factory, options);
  }

  #getOrSet(key: K, factory: CacheFactory<K, V>, options: GetOrSetOptions | undefined): Promise<V> {
    let signal: AbortSignal | CancellationToken | undefined;
    let ttlMs = this.#ttlMs;
    if (options !== undefined) {
      if (options.ttlMs !== undefined) ttlMs = checkMs('ttlMs', options.ttlMs);
      signal = options.signal;
      if (signal !== undefined && isAborted(signal)) return Promise.reject(cancelledError(abortReason(signal)));
    }
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      const expiresAt = entry.expiresAt;
      if (expiresAt === Infinity) return this.#hit(entry);
      const now = Date.now();
      if (now < expiresAt) return this.#hit(entry);
      if (now < expiresAt + this.#staleMs) {
        // Serve first: the refresh runs user code that may change the cache.
        const stale = this.#hit(entry);
        if (!this.#loads.has(key)) this.#refresh(key, factory, ttlMs);
        return stale;
      }
      this.#remove(entry);
    }
    this.#misses++;
    const load = this.#loads.get(key);
    if (load !== undefined) return this.#join(load, signal);
    const token = signal === undefined ? CancellationToken.none : CancellationToken.from(signal);
    const started = new Load<K, V>(key, ttlMs, false, token === CancellationToken.none ? undefined : new CancellationSource());
    this.#start(started, factory);
    return this.#join(started, token);
  }

  /**
   * The fresh value stored for `key`, or `undefined`. Synchronous; counts as a use (LRU) and
   * as a hit when it returns a value. Never starts a load and never returns a stale value.
   */
  get(key: K): V | undefined {
    const entry = this.#fresh(key);
    if (entry === undefined) return undefined;
    this.#touch(entry);
    this.#hits++;
    return entry.value;
  }

  /** Whether a fresh value is stored for `key`. Synchronous; counts as a use (LRU). */
  has(key: K): boolean {
    const entry = this.#fresh(key);
    if (entry === undefined) return false;
    this.#touch(entry);
    return true;
  }

  /**
   * Stores `value` for `key` (fresh for `ttlMs`, default the cache's), as the most recently
   * used. A load of `key` in flight still settles for its callers, but its result is not
   * stored: the value set here wins.
   *
   * **Errors**: `TypeError`/`RangeError` for a bad `ttlMs`.
   */
  set(key: K, value: V, options?: SetOptions): this {
    let ttlMs = this.#ttlMs;
    if (options?.ttlMs !== undefined) ttlMs = checkMs('ttlMs', options.ttlMs);
    const abandoned = this.#detach(key);
    this.#store(key, value, ttlMs);
    if (abandoned !== undefined) abandoned.cancel(refreshUnwanted());
    return this;
  }

  /**
   * Removes the value of `key`. A load of `key` in flight still settles for its callers, but
   * its result is not stored, and the next `getOrSet` starts a new load. Returns whether a
   * value (fresh or stale) was stored.
   */
  delete(key: K): boolean {
    const abandoned = this.#detach(key);
    const entry = this.#entries.get(key);
    let removed = false;
    if (entry !== undefined) {
      const dropAt = entry.expiresAt + this.#staleMs;
      removed = dropAt === Infinity || Date.now() < dropAt;
      this.#remove(entry);
    }
    if (abandoned !== undefined) abandoned.cancel(refreshUnwanted());
    return removed;
  }

  /**
   * Removes every value. Loads in flight still settle for their callers, but their results are
   * not stored. Statistics are kept.
   */
  clear(): void {
    const abandoned: CancellationSource[] = [];
    for (const load of this.#loads.values()) {
      load.attached = false;
      if (load.unwanted && load.source !== undefined) abandoned.push(load.source);
    }
    this.#loads.clear();
    this.#entries.clear();
    this.#heap.clear();
    this.#head = this.#tail = null;
    cancelAll(abandoned);
  }

  /** How many values are stored (fresh or stale; expired ones are never counted). */
  get size(): number {
    if (this.#heap.peek() !== undefined) this.#purge(Date.now());
    return this.#entries.size;
  }

  /** A snapshot of the counters: `hits`, `misses`, `loads`, `evictions`. */
  get stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, loads: this.#loadCount, evictions: this.#evictions };
  }

  #hit(entry: Entry<K, V>): Promise<V> {
    this.#touch(entry);
    this.#hits++;
    return (entry.promise ??= Promise.resolve(entry.value));
  }

  /** The entry of `key` if it is fresh; drops it if it is past its stale window. */
  #fresh(key: K): Entry<K, V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt === Infinity) return entry;
    const now = Date.now();
    if (now < entry.expiresAt) return entry;
    if (now >= entry.expiresAt + this.#staleMs) this.#remove(entry);
    return undefined;
  }

  #join(load: Load<K, V>, signal: AbortSignal | CancellationToken | undefined): Promise<V> {
    const token = signal === undefined ? CancellationToken.none : CancellationToken.from(signal);
    if (token === CancellationToken.none) {
      load.pinned = true;
      if (load.promise !== undefined) return load.promise;
    }
    const caller = new Caller(load);
    const promise = new Promise<V>((resolve, reject) => {
      caller.resolve = resolve;
      caller.reject = reject;
    });
    load.add(caller);
    if (token !== CancellationToken.none) {
      caller.registration = token.onCancel((reason) => {
        this.#leave(caller, reason);
      });
    }
    return promise;
  }

  #leave(caller: Caller<K, V>, reason: unknown): void {
    const load = caller.load;
    if (load === null) return;
    load.unlink(caller);
    caller.reject(cancelledError(reason));
    if (!load.unwanted || load.settled) return;
    if (load.attached) {
      load.attached = false;
      this.#loads.delete(load.key);
    }
    load.source?.cancel(callersGone());
  }

  #refresh(key: K, factory: CacheFactory<K, V>, ttlMs: number): void {
    this.#start(new Load<K, V>(key, ttlMs, true, new CancellationSource()), factory);
  }

  #start(load: Load<K, V>, factory: CacheFactory<K, V>): void {
    this.#loads.set(load.key, load);
    this.#loadCount++;
    let result: V | PromiseLike<V>;
    try {
      result = factory(load.key, load.source === undefined ? CancellationToken.none : load.source.token);
    } catch (error) {
      // The factory's own error, passed on unchanged whatever it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      result = Promise.reject(error);
    }
    const promise = Promise.resolve(result);
    load.promise = promise;
    promise.then(
      (value) => {
        this.#settle(load, value);
      },
      (error: unknown) => {
        this.#fail(load, error);
      },
    );
  }

  #settle(load: Load<K, V>, value: V): void {
    load.settled = true;
    if (load.attached) {
      load.attached = false;
      this.#loads.delete(load.key);
      this.#store(load.key, value, load.ttlMs);
    }
    let caller: Caller<K, V> | null;
    while ((caller = load.head) !== null) {
      load.unlink(caller);
      caller.resolve(value);
    }
  }

  #fail(load: Load<K, V>, error: unknown): void {
    load.settled = true;
    if (load.attached) {
      load.attached = false;
      this.#loads.delete(load.key);
    }
    let caller: Caller<K, V> | null;
    while ((caller = load.head) !== null) {
      load.unlink(caller);
      caller.reject(error);
    }
  }

  /** Unhooks the load of `key` so its result is not stored; returns its source if nobody wants it now. */
  #detach(key: K): CancellationSource | undefined {
    const load = this.#loads.get(key);
    if (load === undefined) return undefined;
    this.#loads.delete(key);
    load.attached = false;
    return load.unwanted ? load.source : undefined;
  }

  #store(key: K, value: V, ttlMs: number): void {
    let expiresAt = Infinity;
    if (ttlMs !== Infinity || this.#heap.peek() !== undefined) {
      const now = Date.now();
      this.#purge(now);
      if (ttlMs !== Infinity) expiresAt = now + ttlMs;
    }
    // Entries that can ever be dropped for age are in the heap, ordered by expiry.
    const dies = expiresAt + this.#staleMs !== Infinity;
    const heap = this.#heap;
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.promise = undefined;
      entry.expiresAt = expiresAt;
      if (entry.heapIndex >= 0) {
        if (dies) heap.update(entry);
        else heap.remove(entry);
      } else if (dies) heap.push(entry);
      this.#touch(entry);
      return;
    }
    entry = new Entry(key, value, expiresAt);
    this.#entries.set(key, entry);
    const head = this.#head;
    if (head === null) this.#tail = entry;
    else {
      head.prev = entry;
      entry.next = head;
    }
    this.#head = entry;
    if (dies) heap.push(entry);
    if (this.#entries.size > this.#max) {
      this.#remove(this.#tail as Entry<K, V>);
      this.#evictions++;
    }
  }

  /** Drops every entry past its stale window. */
  #purge(now: number): void {
    const heap = this.#heap;
    const expiredBefore = now - this.#staleMs;
    let first: Entry<K, V> | undefined;
    while ((first = heap.peek()) !== undefined && first.expiresAt <= expiredBefore) this.#remove(first);
  }

  /** Makes `entry` the most recently used. */
  #touch(entry: Entry<K, V>): void {
    const prev = entry.prev;
    if (prev === null) return;
    const next = entry.next;
    prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    entry.prev = null;
    const head = this.#head as Entry<K, V>;
    entry.next = head;
    head.prev = entry;
    this.#head = entry;
  }

  #remove(entry: Entry<K, V>): void {
    this.#entries.delete(entry.key);
    this.#heap.remove(entry);
    const { prev, next } = entry;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
  }
}
