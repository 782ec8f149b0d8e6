import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buffer, merge, pipe } from '../src/index.js';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';

// Same-tick operation sequences against merge (three sources) and buffer (one source) over
// hand-driven sources whose pulls settle only when an operation says so.

class Injected extends Error {}

const DONE = { done: true as const, value: undefined };

class Manual implements AsyncIterator<number> {
  readonly id: number;
  readonly length: number;
  produced = 0;
  pending: { resolve: (r: IteratorResult<number>) => void; reject: (e: unknown) => void } | null = null;
  finished = false;
  closes = 0;
  returns = 0;
  concurrentPulls = 0;
  pullsAfterEnd = 0;
  pulls = 0;

  constructor(id: number, length: number) {
    this.id = id;
    this.length = length;
  }

  next(): Promise<IteratorResult<number>> {
    this.pulls++;
    if (this.finished) this.pullsAfterEnd++;
    if (this.pending !== null) this.concurrentPulls++;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<number>> {
    this.returns++;
    if (!this.finished) this.closes++;
    this.finished = true;
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) pending.resolve(DONE);
    return Promise.resolve(DONE);
  }

  deliver(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    if (this.produced >= this.length) {
      this.finished = true;
      this.closes++;
      pending.resolve(DONE);
    } else {
      pending.resolve({ done: false, value: this.id * 100 + this.produced++ });
    }
  }

  fail(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    this.finished = true;
    this.closes++;
    pending.reject(new Injected());
  }
}

type Op = { kind: 'next' } | { kind: 'return' } | { kind: 'deliver'; source: number } | { kind: 'fail'; source: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'next' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'return' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), source: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), source: fc.nat(2) }) },
);

describe('merge and buffer under same-tick operation sequences', () => {
  it('never pull a source twice at once, keep their bounds and order, and close each source once', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
        sameTickSteps(op, 40),
        async (bufferSize, lengths, steps) => {
          const useMerge = bufferSize === 0;
          const sources = useMerge
            ? lengths.map((length, id) => new Manual(id, length))
            : [new Manual(0, lengths[0]!)];
          const iterables = sources.map((source) => ({ [Symbol.asyncIterator]: () => source }));
          const iterable = useMerge ? merge(...iterables) : pipe(iterables[0]!, buffer(bufferSize));
          const bound = useMerge ? 1 : bufferSize;
          const iterator = iterable[Symbol.asyncIterator]();
          const values: number[] = [];
          const errors: unknown[] = [];
          const calls: Promise<void>[] = [];
          let returned = false;
          let valuesAfterError = 0;

          const checkBounds = () => {
            for (const source of sources) {
              const received = values.filter((v) => Math.floor(v / 100) === source.id).length;
              // Pulled and not yet delivered, counting the pull under way.
              const ahead = source.produced - received + (source.pending !== null ? 1 : 0);
              if (!returned && errors.length === 0) expect(ahead).toBeLessThanOrEqual(bound);
            }
          };

          await runSteps(steps, (step) => {
            if (step.kind === 'next') {
              calls.push(
                iterator.next().then(
                  (result) => {
                    if (result.done !== true) {
                      if (errors.length > 0) valuesAfterError++;
                      values.push(result.value);
                    }
                  },
                  (error: unknown) => {
                    errors.push(error);
                  },
                ),
              );
            } else if (step.kind === 'return') {
              returned = true;
              calls.push(iterator.return!().then(() => {}));
            } else {
              const source = sources[step.source % sources.length]!;
              if (step.kind === 'deliver') source.deliver();
              else source.fail();
            }
            for (const source of sources) expect(source.concurrentPulls).toBe(0);
          });
          checkBounds();

          returned = true;
          await iterator.return!();
          await flush();
          await Promise.all(calls);

          for (const source of sources) {
            expect(source.concurrentPulls).toBe(0);
            expect(source.pullsAfterEnd).toBe(0);
            expect(source.pending).toBeNull();
            expect(source.closes).toBe(source.pulls === 0 && source.returns === 0 ? 0 : 1);
            expect(source.returns).toBeLessThanOrEqual(1);
            // Items of one source arrive in its order, each once.
            const own = values.filter((v) => Math.floor(v / 100) === source.id);
            expect(own).toEqual(own.map((_, i) => source.id * 100 + i));
          }
          expect(errors.length).toBeLessThanOrEqual(1);
          for (const error of errors) expect(error).toBeInstanceOf(Injected);
          if (useMerge) expect(valuesAfterError).toBe(0);
        },
      ),
    );
  });
});
