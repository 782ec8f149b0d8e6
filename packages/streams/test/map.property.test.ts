import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buffer, map, pipe } from '../src/index.js';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';

// Same-tick operation sequences against one map stage (optionally behind a read-ahead
// buffer): concurrent next() calls, callbacks resolving or failing, return(), all applied
// synchronously in batches with flushes in between, where fc.scheduler() would not reach.

type Op =
  | { kind: 'next' }
  | { kind: 'resolve'; pick: number }
  | { kind: 'reject'; pick: number }
  | { kind: 'return' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'next' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('resolve' as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'return' as const }) },
);

class Injected extends Error {}

interface Call {
  value: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

describe('map under same-tick operation sequences', () => {
  it('keeps its bounds, starts nothing after return(), settles every call and closes the source once', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
        fc.integer({ min: 0, max: 8 }),
        sameTickSteps(op, 30),
        async (concurrency, ordered, buffered, length, steps) => {
          let pulls = 0;
          let closes = 0;
          const flags = { returned: false };
          let pullsAfterClose = 0;
          let finished = false;
          const source: AsyncIterable<number> = {
            [Symbol.asyncIterator]: () => {
              let index = 0;
              return {
                next: async () => {
                  pulls++;
                  if (finished) pullsAfterClose++;
                  if (index >= length) {
                    if (!finished) closes++;
                    finished = true;
                    return { done: true, value: undefined };
                  }
                  return { done: false, value: index++ };
                },
                return: async () => {
                  if (!finished) closes++;
                  finished = true;
                  return { done: true, value: undefined };
                },
              };
            },
          };
          const pending: Call[] = [];
          let running = 0;
          let startedAfterReturn = 0;
          let started = 0;
          let overLimit = 0;
          const mapped = map(
            (value: number, token) => {
              if (flags.returned) startedAfterReturn++;
              started++;
              running++;
              if (running > concurrency) overLimit++;
              return new Promise<number>((resolve, reject) => {
                const call: Call = {
                  value,
                  resolve: () => {
                    resolve(value * 10);
                  },
                  reject,
                };
                pending.push(call);
                token.onCancel(() => {
                  reject(new Error('cancelled'));
                });
              }).finally(() => {
                running--;
                const at = pending.findIndex((c) => c.value === value);
                if (at >= 0) pending.splice(at, 1);
              });
            },
            { concurrency, ordered },
          );
          const iterable = buffered === null ? pipe(source, mapped) : pipe(source, buffer(buffered), mapped);
          const iterator = iterable[Symbol.asyncIterator]();
          const results: IteratorResult<number>[] = [];
          const errors: unknown[] = [];
          const calls: Promise<unknown>[] = [];
          let outstanding = 0;
          const track = (promise: Promise<IteratorResult<number>>) => {
            outstanding++;
            calls.push(
              promise.then(
                (result) => {
                  outstanding--;
                  results.push(result);
                },
                (error: unknown) => {
                  outstanding--;
                  errors.push(error);
                },
              ),
            );
          };
          let returnCall: Promise<unknown> | undefined;
          const delivered = () => results.filter((r) => r.done !== true).length;

          await runSteps(steps, (step) => {
            if (step.kind === 'next') track(iterator.next());
            else if (step.kind === 'return') {
              flags.returned = true;
              returnCall ??= Promise.resolve(iterator.return?.());
            } else {
              const call = pending[step.pick % Math.max(1, pending.length)];
              if (call === undefined) return;
              if (step.kind === 'resolve') call.resolve();
              else call.reject(new Injected());
            }
            expect(overLimit).toBe(0);
          });
          // Between flushes every result has reached us: the window holds at most `concurrency`.
          if (errors.length === 0 && !flags.returned) expect(started - delivered()).toBeLessThanOrEqual(concurrency);

          // Leave: whatever is still running is cancelled and awaited.
          flags.returned = true;
          await (returnCall ?? iterator.return?.());
          expect(running).toBe(0);
          expect(pending).toHaveLength(0);
          await flush();
          await Promise.all(calls);
          expect(outstanding).toBe(0);
          expect(startedAfterReturn).toBe(0);
          expect(closes).toBe(1);
          expect(pullsAfterClose).toBe(0);
          expect(errors.length).toBeLessThanOrEqual(1);
          for (const error of errors) expect(error).toBeInstanceOf(Injected);
          const values = results.filter((r) => r.done !== true).map((r) => r.value);
          expect(new Set(values).size).toBe(values.length);
          if (ordered) expect(values).toEqual([...values].sort((a, b) => a - b));
          for (const value of values) expect(value % 10).toBe(0);
          expect(pulls).toBeLessThanOrEqual(length + 1);
        },
      ),
    );
  });
});
