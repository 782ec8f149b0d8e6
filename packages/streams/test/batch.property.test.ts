import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batch, pipe } from '../src/index.js';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';

// Same-tick operation sequences against batch(size, { maxWaitMs }) over a hand-driven source,
// with fake time: pulls that outlive a batch must start the next one, nothing is lost or
// repeated, and no timer outlives the pipeline.

const DONE = { done: true as const, value: undefined };

type Op = { kind: 'next' } | { kind: 'deliver' } | { kind: 'tick'; ms: number } | { kind: 'return' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'next' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'return' as const }) },
);

describe('batch under same-tick operation sequences', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loses and repeats nothing, keeps batches within size, and leaves no timer', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 10 }),
        sameTickSteps(op, 40),
        async (size, length, steps) => {
          let produced = 0;
          let closes = 0;
          let concurrentPulls = 0;
          // Mutated from callbacks: kept in an object so checks are not narrowed away.
          const state = { finished: false, returned: false };
          let pending: ((result: IteratorResult<number>) => void) | null = null;
          const source: AsyncIterable<number> = {
            [Symbol.asyncIterator]: () => ({
              next: () => {
                if (pending !== null) concurrentPulls++;
                return new Promise<IteratorResult<number>>((resolve) => {
                  pending = resolve;
                });
              },
              return: () => {
                if (!state.finished) closes++;
                state.finished = true;
                const resolve = pending;
                pending = null;
                resolve?.(DONE);
                return Promise.resolve(DONE);
              },
            }),
          };
          const deliver = () => {
            const resolve = pending;
            if (resolve === null) return;
            pending = null;
            if (produced >= length) {
              if (!state.finished) closes++;
              state.finished = true;
              resolve(DONE);
            } else resolve({ done: false, value: produced++ });
          };
          const iterator = pipe(source, batch(size, { maxWaitMs: 50 }))[Symbol.asyncIterator]();
          const batches: number[][] = [];
          const calls: Promise<void>[] = [];
          await runSteps(steps, (step) => {
            if (step.kind === 'next') {
              calls.push(
                iterator.next().then((result) => {
                  if (result.done !== true) batches.push(result.value);
                }),
              );
            } else if (step.kind === 'deliver') deliver();
            else if (step.kind === 'tick') vi.advanceTimersByTime(step.ms);
            else {
              state.returned = true;
              calls.push(iterator.return!().then(() => {}));
            }
          });
          if (!state.returned) {
            // Drain: pull and deliver until the source has ended.
            for (let i = 0; i <= length + 1 && !state.finished; i++) {
              const call = iterator.next().then((result) => {
                if (result.done !== true) batches.push(result.value);
              });
              calls.push(call);
              await flush();
              deliver();
              await flush();
              vi.advanceTimersByTime(50);
              await flush();
            }
          }
          await iterator.return!();
          await flush();
          await Promise.all(calls);

          expect(concurrentPulls).toBe(0);
          expect(closes).toBe(1);
          expect(vi.getTimerCount()).toBe(0);
          for (const group of batches) {
            expect(group.length).toBeGreaterThan(0);
            expect(group.length).toBeLessThanOrEqual(size);
          }
          const flat = batches.flat();
          // In order, each once; when the consumer read to the end, nothing is missing.
          expect(flat).toEqual(flat.map((_, i) => i));
          if (!state.returned) expect(flat).toHaveLength(length);
        },
      ),
    );
  });
});
