import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CancelledError, type CancellationToken } from '@x/core';
import { ClosedError, WorkerPool } from '@x/worker-pool';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';
import { deferred, type Deferred, track } from './helpers.js';

type Behaviour = 'resolve' | 'reject' | 'reject-non-error' | 'throw-sync' | 'value' | 'honour-cancel';

type Op =
  | { readonly kind: 'submit'; readonly priority: number; readonly withSignal: boolean; readonly behaviour: Behaviour }
  | { readonly kind: 'finish'; readonly index: number }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'concurrency'; readonly value: number }
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'close'; readonly drain: boolean };

const behaviour = fc.constantFrom<Behaviour>('resolve', 'reject', 'reject-non-error', 'throw-sync', 'value', 'honour-cancel');

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      priority: fc.integer({ min: -1, max: 1 }),
      withSignal: fc.boolean(),
      behaviour,
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('finish' as const), index: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), index: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('concurrency' as const), value: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), drain: fc.boolean() }) },
);

interface Record {
  readonly seq: number;
  readonly priority: number;
  readonly behaviour: Behaviour;
  readonly controller: AbortController | undefined;
  /** Submitted and neither started nor removed. */
  pending: boolean;
  started: boolean;
  body: Deferred<unknown> | undefined;
  outcome: ReturnType<typeof track<unknown>>;
}

describe('WorkerPool properties', () => {
  it('keeps its rules under random same-tick submits, finishes, aborts, concurrency changes, pauses and closes', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        sameTickSteps(op, 30),
        async (concurrency, maxQueue, steps) => {
          const pool = new WorkerPool({ concurrency, maxQueue });
          const records: Record[] = [];
          const live: Record[] = [];
          const violations: string[] = [];
          let abortedPool = false;
          let closedAny = false as boolean;

          const start = (record: Record, token: CancellationToken): unknown => {
            if (abortedPool) violations.push(`job ${record.seq} started after close({ drain: false })`);
            if (record.controller?.signal.aborted === true) violations.push(`job ${record.seq} started after its signal fired`);
            if (!record.pending) violations.push(`job ${record.seq} started twice or after removal`);
            if (pool.running > pool.concurrency) violations.push(`job ${record.seq} started with ${pool.running} running`);
            if (live.length >= pool.concurrency) violations.push(`job ${record.seq} started with ${live.length} live`);
            // The accepted jobs are the first `pool.size` pending ones (a submit waiting for room
            // came after every accepted job). When the queue is full now, its last job may have
            // been let in just before this start, after the start was decided: leave it out.
            const others = records.filter((r) => r !== record && r.pending);
            const accepted = others.slice(0, pool.size - (pool.size === maxQueue ? 1 : 0));
            for (const other of accepted) {
              if (other.priority > record.priority || (other.priority === record.priority && other.seq < record.seq)) {
                violations.push(`job ${record.seq} (priority ${record.priority}) overtook job ${other.seq} (priority ${other.priority})`);
              }
            }
            record.pending = false;
            record.started = true;
            switch (record.behaviour) {
              case 'value':
                return record.seq;
              case 'throw-sync':
                throw new Error(`sync ${record.seq}`);
              default: {
                const body = deferred<unknown>();
                record.body = body;
                live.push(record);
                if (record.behaviour === 'honour-cancel') {
                  token.onCancel((reason) => {
                    finish(record, reason);
                  });
                }
                return body.promise;
              }
            }
          };

          const finish = (record: Record, cancelReason?: unknown): void => {
            const index = live.indexOf(record);
            if (index === -1) return;
            live.splice(index, 1);
            const body = record.body as Deferred<unknown>;
            if (cancelReason !== undefined) body.reject(new CancelledError(undefined, { cause: cancelReason }));
            else if (record.behaviour === 'reject') body.reject(new Error(`failed ${record.seq}`));
            else if (record.behaviour === 'reject-non-error') body.reject(`failed ${record.seq}`);
            else body.resolve(record.seq);
          };

          const apply = (o: Op): void => {
            switch (o.kind) {
              case 'submit': {
                const controller = o.withSignal ? new AbortController() : undefined;
                const record: Record = {
                  seq: records.length,
                  priority: o.priority,
                  behaviour: o.behaviour,
                  controller,
                  // After close, submit rejects with ClosedError: never pending.
                  pending: !closedAny,
                  started: false,
                  body: undefined,
                  outcome: undefined as never,
                };
                records.push(record);
                const promise = pool.submit((token) => start(record, token), {
                  priority: o.priority,
                  signal: controller?.signal,
                });
                record.outcome = track(promise);
                break;
              }
              case 'finish': {
                const record = live[o.index % Math.max(1, live.length)];
                if (record !== undefined) finish(record);
                break;
              }
              case 'abort': {
                const record = records[o.index % Math.max(1, records.length)];
                if (record?.controller === undefined) break;
                // A job not started yet is removed at once: it must never run.
                record.pending = false;
                record.controller.abort(`abort ${record.seq}`);
                break;
              }
              case 'concurrency':
                pool.concurrency = o.value;
                break;
              case 'pause':
                pool.pause();
                break;
              case 'resume':
                pool.resume();
                break;
              case 'close': {
                // Submits still waiting for room are rejected: they will never run.
                const pending = records.filter((r) => r.pending);
                for (const record of pending.slice(pool.size)) record.pending = false;
                closedAny = true;
                if (!o.drain) {
                  abortedPool = true;
                  for (const record of records) record.pending = false;
                }
                void pool.close({ drain: o.drain });
                break;
              }
            }
          };

          await runSteps(steps, (o) => {
            apply(o);
            if (maxQueue !== undefined && pool.size > maxQueue) violations.push(`${pool.size} jobs queued past maxQueue ${maxQueue}`);
            if (closedAny || maxQueue === undefined) return;
            // Submits waiting for room only while the queue is full (no lost wake-up).
            const waiting = records.filter((r) => r.pending).length - pool.size;
            if (waiting > 0 && pool.size < maxQueue) violations.push(`${waiting} submits wait while the queue has room`);
          });
          if (!closedAny) {
            // Still open: every job not removed must get to run (no lost wake-up).
            pool.resume();
            for (let round = 0; round < 50 && (live.length > 0 || records.some((r) => r.pending)); round++) {
              for (const record of [...live]) finish(record);
              await flush();
            }
            for (const record of records) if (record.pending) violations.push(`job ${record.seq} never started`);
          }
          abortedPool = true;
          for (const record of records) record.pending = false;
          const closed = pool.close({ drain: false });
          while (live.length > 0) {
            for (const record of [...live]) finish(record);
            await flush();
          }
          await closed;
          await flush();

          expect(violations).toEqual([]);
          expect(pool.running).toBe(0);
          expect(pool.size).toBe(0);
          for (const record of records) {
            const { state, value } = record.outcome;
            expect(state, `job ${record.seq} settled`).not.toBe('pending');
            if (!record.started) {
              expect(state).toBe('rejected');
              expect(CancelledError.is(value) || ClosedError.is(value), `job ${record.seq} rejected with ${String(value)}`).toBe(true);
            } else if (record.behaviour === 'value' || record.behaviour === 'resolve') {
              if (state === 'fulfilled') expect(value).toBe(record.seq);
            } else if (record.behaviour === 'throw-sync') {
              expect((value as Error).message).toBe(`sync ${record.seq}`);
            } else if (record.behaviour === 'reject-non-error' && state === 'rejected' && !CancelledError.is(value)) {
              expect(value).toBe(`failed ${record.seq}`);
            }
            if (record.controller !== undefined) expect(getEventListeners(record.controller.signal, 'abort')).toEqual([]);
          }
        },
      ),
    );
  });

  it('never runs more than `concurrency` jobs and settles every promise under any interleaving', async () => {
    const spec = fc.record({
      priority: fc.integer({ min: 0, max: 2 }),
      fails: fc.boolean(),
      abort: fc.boolean(),
    });
    const control = fc.oneof(
      fc.record({ kind: fc.constant('concurrency' as const), value: fc.integer({ min: 1, max: 3 }) }),
      fc.constant({ kind: 'pause' as const }),
      fc.constant({ kind: 'resume' as const }),
      fc.record({ kind: fc.constant('close' as const), drain: fc.boolean() }),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
        fc.array(spec, { maxLength: 8 }),
        fc.array(control, { maxLength: 3 }),
        async (s, concurrency, maxQueue, specs, controls) => {
          const pool = new WorkerPool({ concurrency, maxQueue });
          let live = 0;
          let abortedPool = false;
          const violations: string[] = [];
          const outcomes = specs.map((job, i) => {
            const controller = job.abort ? new AbortController() : undefined;
            if (controller !== undefined) {
              void s.schedule(Promise.resolve(`abort ${i}`)).then((reason) => {
                controller.abort(reason);
              });
            }
            return track(
              pool.submit(
                async () => {
                  if (abortedPool) violations.push(`job ${i} started after close({ drain: false })`);
                  if (live >= pool.concurrency) violations.push(`job ${i} started with ${live} running`);
                  live++;
                  try {
                    await s.schedule(Promise.resolve(), `job ${i}`);
                    if (job.fails) throw new Error(`job ${i} failed`);
                    return i;
                  } finally {
                    live--;
                  }
                },
                { priority: job.priority, signal: controller?.signal },
              ),
            );
          });
          for (const c of controls) {
            void s.schedule(Promise.resolve(c.kind)).then(() => {
              if (c.kind === 'concurrency') pool.concurrency = c.value;
              else if (c.kind === 'pause') pool.pause();
              else if (c.kind === 'resume') pool.resume();
              else {
                if (!c.drain) abortedPool = true;
                void pool.close({ drain: c.drain });
              }
            });
          }
          // Jobs start (and schedule their work) in continuations after a wait ended: keep
          // releasing until nothing is scheduled any more.
          const release = async (): Promise<void> => {
            do {
              await s.waitIdle();
              await flush();
            } while (s.count() > 0);
          };
          await release();
          const closed = pool.close();
          await release();
          await closed;
          expect(violations).toEqual([]);
          expect(outcomes.filter((o) => o.state === 'pending')).toEqual([]);
          expect(pool.running).toBe(0);
        },
      ),
    );
  });
});
