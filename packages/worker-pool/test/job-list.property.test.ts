// JobList (the ring buffer behind every FIFO of the pool) against an array model: random
// push / shift / remove sequences keep FIFO order, never hand out a removed job, and keep the
// ring's holes bounded by the jobs it holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtJob, Job, JobCancel } from '../src/internal/job.js';
import { JobList } from '../src/internal/job-list.js';
import { assertProperty } from '../../../test-utils/races.js';

type Op = { readonly kind: 'push'; readonly cancellable: boolean } | { readonly kind: 'shift' } | { readonly kind: 'remove'; readonly pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.boolean().map((cancellable) => ({ kind: 'push', cancellable }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shift' } as const) },
  { weight: 5, arbitrary: fc.nat().map((pick) => ({ kind: 'remove', pick }) as const) },
);

const noop = (): undefined => undefined;

describe('JobList', () => {
  it('keeps FIFO order across random push / shift / remove, and never returns a removed job', async () => {
    await assertProperty(
      // A run of pushes first, so that removals can leave enough holes to make the ring compact.
      fc.property(fc.nat({ max: 120 }), fc.array(op, { maxLength: 300 }), (prefill, ops) => {
        const list = new JobList();
        const model: Job[] = [];
        const pushes: Op[] = Array.from({ length: prefill }, () => ({ kind: 'push', cancellable: true }));
        for (const step of [...pushes, ...ops]) {
          if (step.kind === 'push') {
            const job = step.cancellable ? new ExtJob(noop, 0, new JobCancel()) : new Job(noop);
            list.push(job);
            model.push(job);
          } else if (step.kind === 'shift') {
            expect(list.shift()).toBe(model.shift() ?? null);
          } else {
            let removable = model.filter((job) => job.cancel !== undefined);
            if (removable.length === 0) continue;
            // Mostly from the middle: holes at the ends are dropped at once, middle ones pile up.
            if (removable.length > 2 && step.pick % 4 !== 0) removable = removable.slice(1, -1);
            const job = removable[step.pick % removable.length] as Job;
            list.remove(job);
            model.splice(model.indexOf(job), 1);
            // Removing it again (a late second cancel) changes nothing.
            list.remove(job);
            // Holes never outnumber the jobs by more than the minimum capacity.
            expect(list.span).toBeLessThanOrEqual(2 * list.size + 16);
          }
          expect(list.size).toBe(model.length);
        }
        const rest: Job[] = [];
        let job: Job | null;
        while ((job = list.shift()) !== null) rest.push(job);
        expect(rest).toEqual(model);
        expect(list.size).toBe(0);
        expect(list.span).toBe(0);
      }),
    );
  });

  it('drops holes: 1e5 jobs removed from the middle of a 100-job window keep it small and in order', () => {
    const list = new JobList();
    const window: Job[] = [];
    const kept: Job[] = [];
    for (let i = 0; i < 100_000; i++) {
      const job = new ExtJob(noop, 0, new JobCancel());
      list.push(job);
      window.push(job);
      if (window.length > 100) {
        // Every tenth leaves the window alive (at the head side); the others are removed.
        const old = window.shift() as Job;
        if (i % 10 === 0) kept.push(old);
        else list.remove(old);
      }
      if (kept.length > 50) expect(list.shift()).toBe(kept.shift());
      expect(list.span).toBeLessThanOrEqual(2 * list.size + 16);
    }
    expect(list.size).toBe(kept.length + window.length);
    const order = [...kept, ...window];
    for (const job of order) expect(list.shift()).toBe(job);
    expect(list.shift()).toBe(null);
  });
});
