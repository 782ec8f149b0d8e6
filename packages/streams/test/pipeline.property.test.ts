import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import { batch, buffer, filter, flatMap, map, merge, pipe, take, tap, toArray, type Operator } from '../src/index.js';
import { assertProperty } from '../../../test-utils/races.js';

// Random pipelines under fast-check's scheduler: every source pull and every callback
// completes when the scheduler says so; callbacks fail on chosen items; sources fail at
// chosen pulls; consumers read everything, break early, or abort a sink's signal.

type OpSpec =
  | { kind: 'map'; concurrency: number; ordered: boolean; failOn: number | null; heedToken: boolean }
  | { kind: 'filter'; failOn: number | null }
  | { kind: 'tap'; failOn: number | null }
  | { kind: 'flatMap'; failOn: number | null }
  | { kind: 'take'; count: number }
  | { kind: 'batch'; size: number }
  | { kind: 'buffer'; size: number };

const failOn = fc.option(fc.integer({ min: 0, max: 12 }), { freq: 3 });
const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    concurrency: fc.integer({ min: 1, max: 3 }),
    ordered: fc.boolean(),
    failOn,
    heedToken: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('filter' as const), failOn }),
  fc.record({ kind: fc.constant('tap' as const), failOn }),
  fc.record({ kind: fc.constant('flatMap' as const), failOn }),
  fc.record({ kind: fc.constant('take' as const), count: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('batch' as const), size: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('buffer' as const), size: fc.integer({ min: 1, max: 3 }) }),
);

type Consumer = { kind: 'all' } | { kind: 'break'; after: number } | { kind: 'abort' };
const consumerSpec: fc.Arbitrary<Consumer> = fc.oneof(
  fc.constant({ kind: 'all' as const }),
  fc.record({ kind: fc.constant('break' as const), after: fc.integer({ min: 0, max: 4 }) }),
  fc.constant({ kind: 'abort' as const }),
);

class Injected extends Error {}

interface Counters {
  running: number;
  gone: boolean;
  lateStarts: number;
  overLimit: number;
}

interface SourceState {
  opened: boolean;
  /** Finishing on its own (done or a throw) or a `return()` before that. */
  closes: number;
  returns: number;
  pullsAfterReturn: number;
}

function scheduledSource(
  s: fc.Scheduler,
  length: number,
  failAt: number | null,
  offset: number,
): { iterable: AsyncIterable<number>; state: SourceState } {
  const state: SourceState = { opened: false, closes: 0, returns: 0, pullsAfterReturn: 0 };
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]() {
      state.opened = true;
      let index = 0;
      let finished = false;
      return {
        async next(): Promise<IteratorResult<number>> {
          if (state.returns > 0) state.pullsAfterReturn++;
          await s.schedule(Promise.resolve(), 'pull');
          if (finished) return { done: true, value: undefined };
          if (index === failAt) {
            finished = true;
            state.closes++;
            throw new Injected(`source fails at ${index}`);
          }
          if (index >= length) {
            finished = true;
            state.closes++;
            return { done: true, value: undefined };
          }
          return { done: false, value: offset + index++ };
        },
        async return(): Promise<IteratorResult<number>> {
          // A return() racing a pull that is about to report the end is legitimate (the
          // stage has not seen the end yet): it is a no-op, not a second close.
          state.returns++;
          if (!finished) state.closes++;
          finished = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

function whenCancelled(token: CancellationToken): Promise<void> {
  return new Promise<void>((resolve) => {
    token.onCancel(() => {
      resolve();
    });
  });
}

function build(s: fc.Scheduler, spec: OpSpec, counters: Counters): Operator<unknown, unknown> {
  const work = async (value: unknown, token: CancellationToken, fail: number | null, heed: boolean, limit = Infinity) => {
    if (counters.gone) counters.lateStarts++;
    counters.running++;
    if (counters.running > limit) counters.overLimit++;
    try {
      const step = s.schedule(Promise.resolve(), 'callback');
      await (heed ? Promise.race([step, whenCancelled(token)]) : step);
      if (value === fail) throw new Injected(`callback fails on ${String(value)}`);
    } finally {
      counters.running--;
    }
  };
  switch (spec.kind) {
    case 'map': {
      let running = 0;
      return map(
        async (value: unknown, token) => {
          running++;
          if (running > spec.concurrency) counters.overLimit++;
          try {
            await work(value, token, spec.failOn, spec.heedToken);
          } finally {
            running--;
          }
          return (value as number) * 2 + 1;
        },
        { concurrency: spec.concurrency, ordered: spec.ordered },
      );
    }
    case 'filter':
      return filter(async (value: unknown, token) => {
        await work(value, token, spec.failOn, true, Infinity);
        return (value as number) % 3 !== 0;
      });
    case 'tap':
      return tap(async (value: unknown, token) => {
        await work(value, token, spec.failOn, false);
      });
    case 'flatMap':
      return flatMap(async (value: unknown, token) => {
        await work(value, token, spec.failOn, true);
        return [value, (value as number) + 100];
      });
    case 'take':
      return take(spec.count);
    case 'batch':
      return (source) => pipe(source, batch(spec.size), flatMap((items: unknown[]) => items));
    case 'buffer':
      return buffer(spec.size);
  }
}

/** The same pipeline over plain arrays, lazily (throws where the real one must). */
function* model(source: Iterable<number>, specs: readonly OpSpec[]): Generator<number> {
  let current: Iterable<number> = source;
  for (const spec of specs) current = modelOp(current, spec);
  yield* current;
}

function* modelOp(source: Iterable<number>, spec: OpSpec): Generator<number> {
  if (spec.kind === 'take') {
    if (spec.count === 0) return;
    let seen = 0;
    for (const value of source) {
      yield value;
      if (++seen === spec.count) return;
    }
    return;
  }
  for (const value of source) {
    if ('failOn' in spec && value === spec.failOn) throw new Injected('model');
    if (spec.kind === 'map') yield value * 2 + 1;
    else if (spec.kind === 'filter') {
      if (value % 3 !== 0) yield value;
    } else if (spec.kind === 'flatMap') {
      yield value;
      yield value + 100;
    } else yield value;
  }
}

function* modelSource(length: number, failAt: number | null): Generator<number> {
  for (let i = 0; i < length; i++) {
    if (i === failAt) throw new Injected('model source');
    yield i;
  }
  if (failAt === length) throw new Injected('model source');
}

describe('pipeline properties', () => {
  it('closes every source exactly once, starts nothing after the consumer left, keeps concurrency bounds', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 6 }),
        fc.option(fc.integer({ min: 0, max: 6 }), { freq: 4 }),
        fc.boolean(),
        fc.array(opSpec, { minLength: 1, maxLength: 4 }),
        consumerSpec,
        async (s, length, failAt, merged, specs, consumer) => {
          const counters: Counters = { running: 0, gone: false, lateStarts: 0, overLimit: 0 };
          const first = scheduledSource(s, length, failAt, 0);
          const second = merged ? scheduledSource(s, 2, null, 50) : undefined;
          const source = second === undefined ? first.iterable : merge(first.iterable, second.iterable);
          const piped = pipe(source, ...specs.map((spec) => build(s, spec, counters)));
          const out: unknown[] = [];
          let error: unknown;
          let runningAtEnd = -1;
          const run = async () => {
            try {
              if (consumer.kind === 'abort') {
                const controller = new AbortController();
                s.schedule(Promise.resolve(), 'abort').then(
                  () => {
                    controller.abort(new Error('aborted'));
                  },
                  () => {},
                );
                out.push(...(await toArray(piped, { signal: controller.signal })));
              } else {
                for await (const value of piped) {
                  if (consumer.kind === 'break' && out.length === consumer.after) break;
                  out.push(value);
                }
              }
            } catch (caught) {
              error = caught;
            } finally {
              runningAtEnd = counters.running;
              counters.gone = true;
            }
          };
          await s.waitFor(run());
          await s.waitIdle();

          expect(runningAtEnd).toBe(0);
          expect(counters.lateStarts).toBe(0);
          expect(counters.overLimit).toBe(0);
          for (const state of second === undefined ? [first.state] : [first.state, second.state]) {
            expect(state.closes).toBe(state.opened ? 1 : 0);
            expect(state.returns).toBeLessThanOrEqual(1);
            expect(state.pullsAfterReturn).toBe(0);
          }
          if (error !== undefined && !(error instanceof Injected)) {
            expect((error as Error).name).toBe('CancelledError');
            expect(consumer.kind).toBe('abort');
          }
          const deterministic =
            consumer.kind === 'all' && !merged && specs.every((spec) => spec.kind !== 'map' || spec.ordered);
          if (deterministic) {
            let expected: number[] | undefined;
            try {
              expected = [...model(modelSource(length, failAt), specs)];
            } catch {
              expected = undefined;
            }
            if (expected === undefined) expect(error).toBeInstanceOf(Injected);
            else if (error === undefined) expect(out).toEqual(expected);
            else {
              expect(error).toBeInstanceOf(Injected);
              expect(specs.some((spec) => spec.kind === 'take')).toBe(true);
            }
          }
        },
      ),
    );
  });
});
