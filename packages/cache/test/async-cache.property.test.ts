import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, type CancellationToken } from '@x/core';
import { AsyncCache } from '@x/cache';
import { assertProperty, flush } from '../../../test-utils/races.js';
import { abortListeners } from '../../../test-utils/soak.js';

afterEach(() => {
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------------------------
// Model-based: random getOrSet / abort / settle / set / get / has / delete / clear / time steps,
// applied in one tick with flushes in between, against a plain model (arrays, O(n) everything).
// ---------------------------------------------------------------------------------------------

const KEYS = ['a', 'b', 'c'] as const;
type Key = (typeof KEYS)[number];

type Op =
  | { t: 'getOrSet'; key: Key; signal: 'none' | 'live' | 'aborted'; ttlMs: number | undefined }
  | { t: 'abort'; i: number }
  | { t: 'settle'; i: number; ok: boolean }
  | { t: 'set'; key: Key; ttlMs: number | undefined }
  | { t: 'get'; key: Key }
  | { t: 'has'; key: Key }
  | { t: 'delete'; key: Key }
  | { t: 'clear' }
  | { t: 'size' }
  | { t: 'time'; ms: number };

const key = fc.constantFrom(...KEYS);
const ttl = fc.constantFrom(undefined, 30, 200);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('getOrSet' as const),
      key,
      signal: fc.constantFrom('none' as const, 'live' as const, 'live' as const, 'aborted' as const),
      ttlMs: ttl,
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('abort' as const), i: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('settle' as const), i: fc.nat(), ok: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('set' as const), key, ttlMs: ttl }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('has' as const), key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'size' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('time' as const), ms: fc.constantFrom(0, 10, 30, 60, 100) }) },
);

/** Same-tick sequences long enough to store, reuse, evict and expire values. */
const steps = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: op.map((o) => ({ kind: 'op', op: o }) as const) },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' } as const) },
  ),
  { minLength: 10, maxLength: 40 },
);

const config = fc.record({
  max: fc.constantFrom(undefined, 1, 2),
  ttlMs: fc.constantFrom(undefined, 100),
  staleWhileRevalidateMs: fc.constantFrom(undefined, 60),
});

type Outcome = { kind: 'pending' } | { kind: 'value'; value: string } | { kind: 'error'; error: string } | { kind: 'cancelled' };

interface ModelEntry {
  value: string;
  expiresAt: number;
  dropAt: number;
}

interface ModelCaller {
  outcome: Outcome;
  live: boolean;
  load: ModelLoad | undefined;
}

interface ModelLoad {
  readonly call: number;
  readonly key: Key;
  readonly ttlMs: number;
  readonly refresh: boolean;
  readonly all: ModelCaller[];
  readonly leavable: Set<ModelCaller>;
  pinned: boolean;
  attached: boolean;
  settled: boolean;
  cancelled: boolean;
}

class Model {
  now = 0;
  readonly entries = new Map<Key, ModelEntry>();
  /** Keys, least recently used first. */
  order: Key[] = [];
  readonly loads = new Map<Key, ModelLoad>();
  readonly calls: ModelLoad[] = [];
  readonly callers: ModelCaller[] = [];
  readonly stats = { hits: 0, misses: 0, loads: 0, evictions: 0 };
  readonly settlements: { load: ModelLoad; ok: boolean }[] = [];
  readonly resolvedCalls = new Set<number>();

  constructor(
    readonly max: number,
    readonly ttlMs: number,
    readonly staleMs: number,
  ) {}

  touch(k: Key): void {
    this.order = [...this.order.filter((x) => x !== k), k];
  }

  remove(k: Key): void {
    this.entries.delete(k);
    this.order = this.order.filter((x) => x !== k);
  }

  purge(): void {
    for (const [k, e] of [...this.entries]) if (e.dropAt <= this.now) this.remove(k);
  }

  store(k: Key, value: string, ttlMs: number): void {
    this.purge();
    const expiresAt = ttlMs === Infinity ? Infinity : this.now + ttlMs;
    const entry = { value, expiresAt, dropAt: expiresAt + this.staleMs };
    const existed = this.entries.has(k);
    this.entries.set(k, entry);
    this.touch(k);
    if (!existed && this.entries.size > this.max) {
      this.remove(this.order[0]!);
      this.stats.evictions++;
    }
  }

  unwanted(load: ModelLoad): boolean {
    return load.leavable.size === 0 && !load.pinned && !(load.refresh && load.attached);
  }

  detach(k: Key): void {
    const load = this.loads.get(k);
    if (load === undefined) return;
    this.loads.delete(k);
    load.attached = false;
    if (this.unwanted(load)) load.cancelled = true;
  }

  start(k: Key, ttlMs: number, refresh: boolean): ModelLoad {
    const load: ModelLoad = {
      call: this.calls.length,
      key: k,
      ttlMs,
      refresh,
      all: [],
      leavable: new Set(),
      pinned: false,
      attached: true,
      settled: false,
      cancelled: false,
    };
    this.calls.push(load);
    this.loads.set(k, load);
    this.stats.loads++;
    return load;
  }

  getOrSet(k: Key, signal: 'none' | 'live' | 'aborted', ttlMs: number | undefined): ModelCaller {
    const caller: ModelCaller = { outcome: { kind: 'pending' }, live: signal === 'live', load: undefined };
    this.callers.push(caller);
    if (signal === 'aborted') {
      caller.outcome = { kind: 'cancelled' };
      return caller;
    }
    const loadTtl = ttlMs ?? this.ttlMs;
    const entry = this.entries.get(k);
    if (entry !== undefined) {
      if (this.now < entry.expiresAt || this.now < entry.dropAt) {
        if (this.now >= entry.expiresAt && !this.loads.has(k)) this.start(k, loadTtl, true);
        this.touch(k);
        this.stats.hits++;
        caller.outcome = { kind: 'value', value: entry.value };
        return caller;
      }
      this.remove(k);
    }
    this.stats.misses++;
    const load = this.loads.get(k) ?? this.start(k, loadTtl, false);
    caller.load = load;
    load.all.push(caller);
    if (caller.live) load.leavable.add(caller);
    else load.pinned = true;
    return caller;
  }

  abort(caller: ModelCaller): void {
    const load = caller.load;
    if (!caller.live || caller.outcome.kind !== 'pending' || load === undefined) return;
    caller.outcome = { kind: 'cancelled' };
    load.leavable.delete(caller);
    if (load.settled || !this.unwanted(load)) return;
    if (load.attached) {
      load.attached = false;
      this.loads.delete(load.key);
    }
    load.cancelled = true;
  }

  settle(load: ModelLoad, ok: boolean): void {
    load.settled = true;
    const value = `L${load.call}`;
    if (load.attached) {
      load.attached = false;
      this.loads.delete(load.key);
      if (ok) this.store(load.key, value, load.ttlMs);
    }
    for (const caller of load.all) {
      if (caller.outcome.kind !== 'pending') continue;
      caller.outcome = ok ? { kind: 'value', value } : { kind: 'error', error: `E${load.call}` };
    }
    load.leavable.clear();
  }

  flush(): void {
    for (const { load, ok } of this.settlements.splice(0)) this.settle(load, ok);
  }

  fresh(k: Key): ModelEntry | undefined {
    const entry = this.entries.get(k);
    if (entry === undefined) return undefined;
    if (this.now < entry.expiresAt) return entry;
    if (this.now >= entry.dropAt) this.remove(k);
    return undefined;
  }
}

interface RealCall {
  readonly key: string;
  readonly token: CancellationToken;
  resolve(value: string): void;
  reject(error: Error): void;
}

describe('AsyncCache model', () => {
  it('agrees with a simple model on values, single flight, LRU order, TTL expiry, tokens and stats', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await assertProperty(
      fc.asyncProperty(config, steps, async (options, steps) => {
        vi.setSystemTime(0);
        const cache = new AsyncCache<string, string>(options);
        const model = new Model(options.max ?? Infinity, options.ttlMs ?? Infinity, options.staleWhileRevalidateMs ?? 0);
        const calls: RealCall[] = [];
        const outcomes: Outcome[] = [];
        const controllers: (AbortController | undefined)[] = [];
        let sets = 0;
        const factory = (k: string, token: CancellationToken): Promise<string> =>
          new Promise<string>((resolve, reject) => {
            calls.push({ key: k, token, resolve, reject });
          });

        const check = (): void => {
          expect(cache.stats).toEqual(model.stats);
          expect(calls.length).toBe(model.calls.length);
          calls.forEach((call, i) => {
            expect(call.key).toBe(model.calls[i]!.key);
            expect(call.token.isCancelled, `token of call ${i}`).toBe(model.calls[i]!.cancelled);
          });
        };
        const checkOutcomes = (): void => {
          expect(outcomes).toEqual(model.callers.map((c) => c.outcome));
        };

        const apply = (o: Op): void => {
          switch (o.t) {
            case 'getOrSet': {
              let controller: AbortController | undefined;
              if (o.signal !== 'none') {
                controller = new AbortController();
                if (o.signal === 'aborted') controller.abort();
              }
              const index = outcomes.length;
              outcomes.push({ kind: 'pending' });
              controllers.push(o.signal === 'live' ? controller : undefined);
              cache
                .getOrSet(o.key, factory, { signal: controller?.signal, ttlMs: o.ttlMs })
                .then(
                  (value) => {
                    outcomes[index] = { kind: 'value', value };
                  },
                  (error: unknown) => {
                    outcomes[index] = CancelledError.is(error)
                      ? { kind: 'cancelled' }
                      : { kind: 'error', error: (error as Error).message };
                  },
                );
              model.getOrSet(o.key, o.signal, o.ttlMs);
              break;
            }
            case 'abort': {
              if (controllers.length === 0) break;
              const i = o.i % controllers.length;
              controllers[i]?.abort();
              model.abort(model.callers[i]!);
              break;
            }
            case 'settle': {
              if (calls.length === 0) break;
              const i = o.i % calls.length;
              if (o.ok) calls[i]!.resolve(`L${i}`);
              else calls[i]!.reject(new Error(`E${i}`));
              if (!model.resolvedCalls.has(i)) {
                model.resolvedCalls.add(i);
                model.settlements.push({ load: model.calls[i]!, ok: o.ok });
              }
              break;
            }
            case 'set': {
              const value = `S${sets++}`;
              cache.set(o.key, value, { ttlMs: o.ttlMs });
              model.detach(o.key);
              model.store(o.key, value, o.ttlMs ?? model.ttlMs);
              break;
            }
            case 'get': {
              const entry = model.fresh(o.key);
              if (entry !== undefined) {
                model.touch(o.key);
                model.stats.hits++;
              }
              expect(cache.get(o.key)).toBe(entry?.value);
              break;
            }
            case 'has': {
              const entry = model.fresh(o.key);
              if (entry !== undefined) model.touch(o.key);
              expect(cache.has(o.key)).toBe(entry !== undefined);
              break;
            }
            case 'delete': {
              model.detach(o.key);
              const entry = model.entries.get(o.key);
              const expected = entry !== undefined && model.now < entry.dropAt;
              model.remove(o.key);
              expect(cache.delete(o.key)).toBe(expected);
              break;
            }
            case 'clear': {
              for (const k of KEYS) model.detach(k);
              model.entries.clear();
              model.order = [];
              cache.clear();
              break;
            }
            case 'size': {
              model.purge();
              expect(cache.size).toBe(model.entries.size);
              break;
            }
            case 'time': {
              model.now += o.ms;
              vi.setSystemTime(model.now);
              break;
            }
          }
          check();
        };

        // Operations run one after another in one tick; a flush lets the loads settled so far
        // reach the cache (the model settles them at the same point).
        for (const step of [...steps, { kind: 'flush' } as const]) {
          if (step.kind === 'op') {
            apply(step.op);
            continue;
          }
          await flush();
          model.flush();
          check();
          checkOutcomes();
        }
        model.purge();
        expect(cache.size).toBe(model.entries.size);
        expect([...KEYS].filter((k) => cache.has(k))).toEqual(KEYS.filter((k) => model.fresh(k) !== undefined));
        for (const call of calls) call.resolve('late');
        await flush();
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Scheduler: fast-check decides when each factory settles and when each caller's signal fires.
// ---------------------------------------------------------------------------------------------

describe('AsyncCache under scheduled interleavings', () => {
  it('keeps one load per key in flight, settles every caller, and cancels a load only when all its callers left', async () => {
    const caller = fc.record({
      key: fc.constantFrom('a', 'b'),
      withSignal: fc.boolean(),
      abort: fc.boolean(),
      fails: fc.boolean(),
    });
    await assertProperty(
      fc.asyncProperty(fc.scheduler(), fc.array(caller, { minLength: 1, maxLength: 6 }), async (s, callers) => {
        const cache = new AsyncCache<string, string>({ max: 1 });
        interface Started {
          readonly key: string;
          readonly token: CancellationToken;
          done: boolean;
          receivedBy: number;
        }
        const started: Started[] = [];
        const controllers: AbortController[] = [];
        const results: { value?: string; error?: unknown }[] = [];
        const aborted = new Set<number>();

        const run = async (i: number): Promise<void> => {
          const spec = callers[i]!;
          const controller = new AbortController();
          controllers.push(controller);
          if (spec.abort) {
            void s.schedule(Promise.resolve(), `abort ${i}`).then(() => {
              aborted.add(i);
              controller.abort();
            });
          }
          const factory = (key: string, token: CancellationToken): Promise<string> => {
            // Single flight: no other load of this key may still be wanted and unsettled.
            expect(started.filter((c) => c.key === key && !c.done && !c.token.isCancelled)).toEqual([]);
            const load: Started = { key, token, done: false, receivedBy: 0 };
            const index = started.push(load) - 1;
            return s
              .schedule(Promise.resolve(), `load ${index} of ${key}`)
              .then(() => {
                load.done = true;
                if (spec.fails) throw new Error(`failed ${index}`);
                return `${key}:${index}`;
              });
          };
          try {
            const options = spec.withSignal ? { signal: controller.signal } : undefined;
            results[i] = { value: await cache.getOrSet(spec.key, factory, options) };
          } catch (error) {
            results[i] = { error };
          }
        };

        const all = Promise.all(callers.map((_, i) => s.schedule(Promise.resolve(), `call ${i}`).then(() => run(i))));
        await s.waitIdle();
        await all;

        callers.forEach((spec, i) => {
          const result = results[i];
          expect(result, `caller ${i} settled`).toBeDefined();
          if (result!.error !== undefined) {
            if (CancelledError.is(result!.error)) expect(spec.withSignal && aborted.has(i)).toBe(true);
            else expect((result!.error as Error).message).toMatch(/^failed \d+$/);
          } else {
            expect(result!.value!.startsWith(`${spec.key}:`)).toBe(true);
            const index = Number(result!.value!.split(':')[1]);
            started[index]!.receivedBy++;
          }
          expect(abortListeners(controllers[i]!.signal)).toBe(0);
        });
        // A cancelled load had nobody left to receive its value, and never stored it.
        for (const load of started) {
          if (load.token.isCancelled) expect(load.receivedBy).toBe(0);
        }
      }),
    );
  });
});
