import { CancelledError, TimeoutError } from '@x/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Mutex, Semaphore, type Permit } from '@x/semaphore';
import { assertProperty, flush, type Step } from '../../../test-utils/races.js';

// Race properties: never more permits held than exist, no permit lost or duplicated, strict
// FIFO, every waiter that is not cancelled gets in, and everything ends idle.

describe('Semaphore properties (fc.scheduler)', () => {
  it('never over-admits, serves every non-cancelled waiter and ends idle, whatever the interleaving', async () => {
    const task = fc.record({
      weight: fc.integer({ min: 1, max: 3 }),
      abort: fc.boolean(),
      useRun: fc.boolean(),
    });
    await assertProperty(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 3 }), fc.array(task, { maxLength: 6 }), async (s, capacity, tasks) => {
        const semaphore = new Semaphore(capacity);
        let held = 0;
        let peak = 0;
        const hold = async (weight: number): Promise<void> => {
          held += weight;
          peak = Math.max(peak, held);
          await s.schedule(Promise.resolve('hold'));
          held -= weight;
        };
        const outcomes = tasks.map(async ({ weight: w, abort, useRun }) => {
          const weight = Math.min(w, capacity);
          const controller = new AbortController();
          if (abort) {
            void s.schedule(Promise.resolve('abort')).then(() => {
              controller.abort();
            });
          }
          const body = (): Promise<void> => {
            // A run() whose wait was cancelled is never started.
            if (controller.signal.aborted) throw new Error('run() started after its signal fired');
            return hold(weight);
          };
          await s.schedule(Promise.resolve('arrive'));
          const options = { weight, signal: abort ? controller.signal : undefined };
          try {
            if (useRun) {
              await semaphore.run(body, options);
            } else {
              const permit = await semaphore.acquire(options);
              await hold(weight);
              permit.release();
            }
            return 'in';
          } catch (error) {
            if (CancelledError.is(error) && abort) return 'cancelled';
            throw error;
          }
        });
        const results = await s.waitFor(Promise.all(outcomes));
        expect(peak).toBeLessThanOrEqual(capacity);
        tasks.forEach((t, i) => {
          if (!t.abort) expect(results[i]).toBe('in');
        });
        expect(semaphore.available).toBe(capacity);
        expect(semaphore.waiting).toBe(0);
      }),
      { numRuns: Math.min(1000, Number(process.env['FC_RUNS'] ?? 1000)) },
    );
  });
});

type Op =
  | {
      readonly kind: 'acquire';
      readonly weight: number;
      readonly signal: number | undefined;
      readonly timeout: number | undefined;
      readonly useRun: boolean;
    }
  | { readonly kind: 'tick' }
  | { readonly kind: 'try'; readonly weight: number }
  | { readonly kind: 'release'; readonly index: number }
  | { readonly kind: 'abort'; readonly signal: number }
  | { readonly kind: 'capacity'; readonly value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      weight: fc.integer({ min: 1, max: 3 }),
      signal: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined, freq: 3 }),
      timeout: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 3 }),
      useRun: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('try' as const), weight: fc.integer({ min: 1, max: 3 }) }) },
  // 1 ms passes: due timeouts fire synchronously, inside the tick.
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), signal: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capacity' as const), value: fc.integer({ min: 1, max: 3 }) }) },
);

// Like races.ts's sameTickSteps, but with longer sequences (fast-check keeps arrays small by default).
const steps: fc.Arbitrary<Step<Op>[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: op.map((o): Step<Op> => ({ kind: 'op', op: o })) },
    { weight: 1, arbitrary: fc.constant<Step<Op>>({ kind: 'flush' }) },
  ),
  { maxLength: 40, size: 'medium' },
);

interface Held {
  readonly weight: number;
  release(): void;
}

interface Entry {
  readonly arrival: number;
  readonly weight: number;
  readonly signal: number | undefined;
  readonly timeout: number | undefined;
  /** Joined the queue (did not get in on the fast path). */
  queued: boolean;
  /** Its signal fired while it was queued or before it resumed: it must not get in. */
  mustCancel: boolean;
  state: 'pending' | 'in' | 'cancelled' | 'timed out';
}

describe('Semaphore properties (same-tick sequences)', () => {
  it('conserves permits, stays FIFO and wakes every waiter that fits, across acquire/release/abort/timeout/resize in one tick', async () => {
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), steps, async (initial, sequence) => {
        // Timeouts run on fake timers, advanced by `tick` steps; flushes still use real setImmediate.
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        try {
          const semaphore = new Semaphore(initial);
          const controllers = [new AbortController(), new AbortController()];
          const entries: Entry[] = [];
          const held: Held[] = [];
          let failure: unknown;
          let resized = false;

          const grant = (entry: Entry, item: Held): void => {
            entry.state = 'in';
            held.push(item);
          };
          const refuse = (entry: Entry, error: unknown): void => {
            if (CancelledError.is(error) && entry.signal !== undefined) entry.state = 'cancelled';
            else if (TimeoutError.is(error) && entry.timeout !== undefined) entry.state = 'timed out';
            else failure ??= error;
          };

          const apply = (o: Op): void => {
            switch (o.kind) {
              case 'acquire': {
                if (o.weight > semaphore.capacity) {
                  expect(() => semaphore.acquire({ weight: o.weight })).toThrow(RangeError);
                  return;
                }
                const entry: Entry = {
                  arrival: entries.length,
                  weight: o.weight,
                  signal: o.signal,
                  timeout: o.timeout,
                  queued: false,
                  mustCancel: false,
                  state: 'pending',
                };
                entries.push(entry);
                const waitingBefore = semaphore.waiting;
                const signal = o.signal === undefined ? undefined : controllers[o.signal]!.signal;
                if (o.useRun) {
                  semaphore
                    .run(
                      () =>
                        new Promise<void>((resolve) => {
                          grant(entry, { weight: o.weight, release: resolve });
                        }),
                      { weight: o.weight, signal, timeout: o.timeout },
                    )
                    .catch((error: unknown) => {
                      refuse(entry, error);
                    });
                } else {
                  semaphore.acquire({ weight: o.weight, signal, timeout: o.timeout }).then(
                    (permit: Permit) => {
                      grant(entry, permit);
                    },
                    (error: unknown) => {
                      refuse(entry, error);
                    },
                  );
                }
                entry.queued = semaphore.waiting > waitingBefore;
                return;
              }
              case 'try': {
                if (o.weight > semaphore.capacity) return;
                const queued = entries.some((e) => e.state === 'pending');
                const permit = semaphore.tryAcquire(o.weight);
                if (permit !== undefined) {
                  // tryAcquire never jumps over waiters still in the queue.
                  if (semaphore.waiting > 0) failure ??= new Error('tryAcquire succeeded while someone waits');
                  held.push(permit);
                } else if (!queued && semaphore.available >= o.weight && semaphore.waiting === 0) {
                  failure ??= new Error('tryAcquire failed with permits free and nobody waiting');
                }
                return;
              }
              case 'release': {
                if (held.length === 0) return;
                const [item] = held.splice(o.index % held.length, 1);
                item!.release();
                item!.release();
                return;
              }
              case 'tick': {
                vi.advanceTimersByTime(1);
                return;
              }
              case 'abort': {
                for (const e of entries) if (e.signal === o.signal && e.queued && e.state === 'pending') e.mustCancel = true;
                controllers[o.signal]!.abort();
                controllers[o.signal] = new AbortController();
                return;
              }
              case 'capacity': {
                const needs = Math.max(0, ...entries.filter((e) => e.state === 'pending').map((e) => e.weight));
                try {
                  resized ||= o.value !== semaphore.capacity;
                  semaphore.capacity = o.value;
                } catch (error) {
                  // Only refused while a queued waiter (maybe one that left this tick) needs more.
                  if (!(error instanceof RangeError) || needs <= o.value) failure ??= error;
                }
                return;
              }
            }
          };

          const check = (): void => {
            const heldWeight = held.reduce((sum, item) => sum + item.weight, 0);
            // Never more permits held than exist (a lowered capacity may leave some over until they come back).
            if (!resized) expect(heldWeight).toBeLessThanOrEqual(semaphore.capacity);
            // No permit lost or duplicated.
            expect(semaphore.available).toBe(Math.max(0, semaphore.capacity - heldWeight));
            const pending = entries.filter((e) => e.state === 'pending');
            expect(semaphore.waiting).toBe(pending.length);
            const head = pending[0];
            if (head !== undefined) {
              // No lost wake-up: the head waits only because it does not fit.
              expect(head.weight).toBeGreaterThan(semaphore.available);
              // Strict FIFO: nobody who arrived after a waiter still queued got in.
              for (const e of entries) if (e.arrival > head.arrival) expect(e.state).not.toBe('in');
            }
            if (failure !== undefined) throw failure as Error;
          };

          for (const step of sequence) {
            if (step.kind === 'op') apply(step.op);
            else {
              await flush();
              check();
            }
          }
          await flush();
          check();
          // Drain: release whatever is held until every waiter has had its turn.
          for (let round = 0; round < 100 && (held.length > 0 || entries.some((e) => e.state === 'pending')); round++) {
            for (const item of held.splice(0)) item.release();
            await flush();
            check();
          }
          for (const e of entries) {
            if (e.signal === undefined && e.timeout === undefined) expect(e.state).toBe('in');
            else expect(e.state).not.toBe('pending');
            // A permit handed over while its signal fired went on to the next waiter.
            if (e.mustCancel) expect(e.state).not.toBe('in');
          }
          expect(semaphore.available).toBe(semaphore.capacity);
          expect(semaphore.waiting).toBe(0);
          // No timer outlives its waiter.
          expect(vi.getTimerCount()).toBe(0);
        } finally {
          vi.useRealTimers();
        }
      }),
    );
  });
});

describe('Mutex properties (fc.scheduler)', () => {
  it('never lets two run() bodies overlap and runs every one that was not cancelled', async () => {
    await assertProperty(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.boolean(), { maxLength: 6 }), async (s, aborts) => {
        const mutex = new Mutex();
        let inside = 0;
        const outcomes = aborts.map(async (abort) => {
          const controller = new AbortController();
          if (abort) {
            void s.schedule(Promise.resolve('abort')).then(() => {
              controller.abort();
            });
          }
          await s.schedule(Promise.resolve('arrive'));
          try {
            await mutex.run(
              async () => {
                inside++;
                expect(inside).toBe(1);
                await s.schedule(Promise.resolve('hold'));
                inside--;
              },
              { signal: controller.signal },
            );
            return 'in';
          } catch (error) {
            if (abort && CancelledError.is(error)) return 'cancelled';
            throw error;
          }
        });
        const results = await s.waitFor(Promise.all(outcomes));
        aborts.forEach((abort, i) => {
          if (!abort) expect(results[i]).toBe('in');
        });
        expect(mutex.isLocked).toBe(false);
        expect(mutex.waiting).toBe(0);
      }),
    );
  });
});
