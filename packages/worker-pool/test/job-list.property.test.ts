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

  it('keeps two lists apart as the pool uses them: moves from one to the other, and removals of jobs that left or sit in the other list', async () => {
    type MoveOp =
      | { readonly kind: 'push'; readonly cancellable: boolean; readonly count: number }
      | { readonly kind: 'move' }
      | { readonly kind: 'shift'; readonly list: 0 | 1 }
      | { readonly kind: 'remove'; readonly pick: number; readonly list: 0 | 1 };
    const moveOp: fc.Arbitrary<MoveOp> = fc.oneof(
      // Bursts, so that the rings grow while their contents wrap around.
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('push' as const), cancellable: fc.boolean(), count: fc.integer({ min: 1, max: 40 }) }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'move' } as const) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('shift' as const), list: fc.constantFrom(0 as const, 1 as const) }) },
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(), list: fc.constantFrom(0 as const, 1 as const) }) },
    );
    await assertProperty(
      fc.property(fc.array(moveOp, { maxLength: 150 }), (ops) => {
        // As the pool's "blocked" list and its queue: a job leaves the first for the second.
        const lists = [new JobList(), new JobList()] as const;
        const models: [Job[], Job[]] = [[], []];
        // Every job ever pushed, so that removals also hit jobs that left or moved.
        const every: Job[] = [];
        for (const step of ops) {
          if (step.kind === 'push') {
            for (let i = 0; i < step.count; i++) {
              const job = step.cancellable ? new ExtJob(noop, 0, new JobCancel()) : new Job(noop);
              lists[0].push(job);
              models[0].push(job);
              every.push(job);
            }
          } else if (step.kind === 'move') {
            const job = lists[0].shift();
            expect(job).toBe(models[0].shift() ?? null);
            if (job !== null) {
              lists[1].push(job);
              models[1].push(job);
            }
          } else if (step.kind === 'shift') {
            expect(lists[step.list].shift()).toBe(models[step.list].shift() ?? null);
          } else {
            const removable = every.filter((job) => job.cancel !== undefined);
            if (removable.length === 0) continue;
            const job = removable[step.pick % removable.length] as Job;
            // A no-op unless the job is queued in that very list.
            lists[step.list].remove(job);
            const model = models[step.list];
            const index = model.indexOf(job);
            if (index !== -1) model.splice(index, 1);
          }
          expect(lists[0].size).toBe(models[0].length);
          expect(lists[1].size).toBe(models[1].length);
        }
        for (const [index, list] of lists.entries()) {
          const rest: Job[] = [];
          let job: Job | null;
          while ((job = list.shift()) !== null) rest.push(job);
          expect(rest).toEqual(models[index]);
          expect(list.span).toBe(0);
        }
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
