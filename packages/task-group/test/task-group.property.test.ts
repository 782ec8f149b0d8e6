import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BubbleUp, CancelledError, isCancellation, type CancellationToken } from '@x/core';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';
import { map, TaskGroup, TaskGroupError } from '../src/index.js';

/** What a task does once its delays are over. */
type Outcome = 'ok' | 'fail' | 'bubble' | 'respect' | 'fail-on-cancel' | 'abort';

interface Plan {
  readonly outcome: Outcome;
  readonly delays: number;
  readonly children: readonly Plan[];
}

const outcome = fc.constantFrom<Outcome>('ok', 'ok', 'fail', 'bubble', 'respect', 'respect', 'fail-on-cancel', 'abort');
const leaf: fc.Arbitrary<Plan> = fc.record({ outcome, delays: fc.nat(2), children: fc.constant([]) });
const plan: fc.Arbitrary<Plan> = fc.record({
  outcome,
  delays: fc.nat(2),
  children: fc.array(leaf, { maxLength: 2 }),
});

/** Everything a run observed, to hold the group to the rules. */
class Observed {
  running = 0;
  peak = 0;
  readonly failures: unknown[] = [];
  readonly bubbles: unknown[] = [];
  readonly tokens: CancellationToken[] = [];
  signalled = false;
  startedCancelled = 0;
}

/** The outcome the rules demand, from what happened. */
function expectOutcome(result: { ok: boolean; value: unknown }, seen: Observed, bodyValue: unknown): void {
  if (seen.bubbles.length > 0) {
    expect(result.ok).toBe(false);
    expect(result.value).toBe(seen.bubbles[0]);
  } else if (seen.failures.length > 0) {
    expect(result.ok).toBe(false);
    expect(TaskGroupError.is(result.value)).toBe(true);
    const errors = (result.value as TaskGroupError).errors;
    expect(errors.length).toBe(seen.failures.length);
    errors.forEach((error, i) => {
      expect(error).toBe(seen.failures[i]);
    });
  } else if (seen.signalled) {
    expect(result.ok).toBe(false);
    expect(CancelledError.is(result.value)).toBe(true);
  } else {
    expect(result).toEqual({ ok: true, value: bodyValue });
  }
  if (!result.ok) {
    for (const token of seen.tokens) expect(token.isCancelled).toBe(true);
  }
}

async function act(plan: Plan, token: CancellationToken, seen: Observed, controller: AbortController, delay: () => Promise<unknown>, spawn: (p: Plan) => void): Promise<string> {
  if (token.isCancelled) seen.startedCancelled++;
  seen.tokens.push(token);
  seen.running++;
  seen.peak = Math.max(seen.peak, seen.running);
  try {
    for (let i = 0; i < plan.delays; i++) await delay();
    for (const child of plan.children) spawn(child);
    switch (plan.outcome) {
      case 'ok':
        return 'ok';
      case 'fail': {
        const error = new Error('fail');
        seen.failures.push(error);
        throw error;
      }
      case 'bubble': {
        const bubble = new BubbleUp('bubble');
        seen.bubbles.push(bubble);
        throw bubble;
      }
      case 'respect':
        token.throwIfCancelled();
        return 'ok';
      case 'fail-on-cancel':
        if (token.isCancelled) {
          const error = new Error('failed while cancelled');
          seen.failures.push(error);
          throw error;
        }
        return 'ok';
      case 'abort':
        seen.signalled = true;
        controller.abort();
        return 'aborted';
    }
  } finally {
    seen.running--;
  }
}

describe('TaskGroup properties', () => {
  it('settles after every task, cancels every token on failure and reports by the rules (scheduler)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(plan, { maxLength: 4 }),
        fc.constantFrom<'ok' | 'fail' | 'bubble'>('ok', 'ok', 'fail', 'bubble'),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        async (s, plans, bodyEnd, maxConcurrency) => {
          const seen = new Observed();
          const controller = new AbortController();
          const delay = (): Promise<unknown> => s.schedule(Promise.resolve());
          let settled = false;
          let result = { ok: false, value: undefined as unknown };
          void TaskGroup.run(
            async (tg, token) => {
              const spawn = (p: Plan): void => {
                tg.spawn((t) => act(p, t, seen, controller, delay, spawn));
              };
              for (const p of plans) spawn(p);
              await delay();
              if (bodyEnd === 'fail') {
                const error = new Error('body');
                seen.failures.push(error);
                throw error;
              }
              if (bodyEnd === 'bubble') {
                const bubble = new BubbleUp('body');
                seen.bubbles.push(bubble);
                throw bubble;
              }
              seen.tokens.push(token);
              return 'body';
            },
            { signal: controller.signal, maxConcurrency },
          ).then(
            (value) => {
              settled = true;
              result = { ok: true, value };
              expect(seen.running).toBe(0);
            },
            (error: unknown) => {
              settled = true;
              result = { ok: false, value: error };
              expect(seen.running).toBe(0);
            },
          );
          await s.waitIdle();
          await flush();
          expect(settled).toBe(true);
          expect(seen.running).toBe(0);
          expect(seen.startedCancelled).toBe(0);
          if (maxConcurrency !== undefined) expect(seen.peak).toBeLessThanOrEqual(maxConcurrency);
          expectOutcome(result, seen, 'body');
        },
      ),
    );
  });

  type Op =
    | { readonly kind: 'spawn'; readonly outcome: Outcome; readonly latched: boolean }
    | { readonly kind: 'release'; readonly index: number }
    | { readonly kind: 'abort' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('spawn' as const), outcome, latched: fc.boolean() }),
    fc.record({ kind: fc.constant('release' as const), index: fc.nat(12) }),
    fc.constant({ kind: 'abort' as const }),
  );

  it('keeps the rules under random same-tick spawn / release / abort sequences', async () => {
    await assertProperty(
      fc.asyncProperty(sameTickSteps(op, 24), fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), async (steps, maxConcurrency) => {
        const seen = new Observed();
        const controller = new AbortController();
        const latches: (() => void)[] = [];
        const group = new TaskGroup({ signal: controller.signal, maxConcurrency });
        const noChildren = (): void => {};
        let refusedCalls = 0;
        await runSteps(steps, (step) => {
          if (step.kind === 'spawn') {
            let release!: () => void;
            const latch = new Promise<void>((resolve) => (release = resolve));
            latches.push(release);
            const wait = step.latched ? (): Promise<void> => latch : (): Promise<void> => Promise.resolve();
            const refused = group.token.isCancelled;
            const task = group.spawn((token) => {
              if (refused) refusedCalls++;
              return act({ outcome: step.outcome, delays: 1, children: [] }, token, seen, controller, wait, noChildren);
            });
            if (refused) void task.then(undefined, () => undefined);
          } else if (step.kind === 'release') {
            latches[step.index]?.();
          } else {
            if (!controller.signal.aborted) seen.signalled = true;
            controller.abort();
          }
        });
        for (const release of latches) release();
        let result = { ok: false, value: undefined as unknown };
        try {
          await group[Symbol.asyncDispose]();
          result = { ok: true, value: undefined };
        } catch (error) {
          result = { ok: false, value: error };
        }
        expect(refusedCalls).toBe(0);
        expect(seen.running).toBe(0);
        expect(seen.startedCancelled).toBe(0);
        if (maxConcurrency !== undefined) expect(seen.peak).toBeLessThanOrEqual(maxConcurrency);
        expectOutcome(result, seen, undefined);
        expect(() => group.spawn(() => 1)).toThrow();
      }),
    );
  });

  it('map keeps input order, respects concurrency and reports failures in order (scheduler)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom('ok', 'ok', 'ok', 'fail'), { maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (s, kinds, concurrency, asyncSource) => {
          let running = 0;
          let peak = 0;
          let closed = false;
          const failures: unknown[] = [];
          function* generate(): Generator<number> {
            try {
              for (let i = 0; i < kinds.length; i++) yield i;
            } finally {
              closed = true;
            }
          }
          async function* generateAsync(): AsyncGenerator<number> {
            yield* generate();
          }
          const source = asyncSource ? generateAsync() : generate();
          let settled = false;
          let result = { ok: false, value: undefined as unknown };
          void map(
            source,
            async (i, token) => {
              running++;
              peak = Math.max(peak, running);
              try {
                await s.schedule(Promise.resolve());
                if (kinds[i] === 'fail') {
                  const error = new Error(`item ${i}`);
                  failures.push(error);
                  throw error;
                }
                token.throwIfCancelled();
                return i * 2;
              } finally {
                running--;
              }
            },
            { concurrency },
          ).then(
            (value) => {
              settled = true;
              result = { ok: true, value };
              expect(running).toBe(0);
            },
            (error: unknown) => {
              settled = true;
              result = { ok: false, value: error };
              expect(running).toBe(0);
            },
          );
          await s.waitIdle();
          await flush();
          expect(settled).toBe(true);
          expect(peak).toBeLessThanOrEqual(concurrency);
          expect(closed).toBe(true);
          if (failures.length === 0) {
            expect(result).toEqual({ ok: true, value: kinds.map((_, i) => i * 2) });
          } else {
            expect(result.ok).toBe(false);
            expect(isCancellation(result.value)).toBe(false);
            expect((result.value as TaskGroupError).errors).toEqual(failures);
          }
        },
      ),
    );
  });
});
