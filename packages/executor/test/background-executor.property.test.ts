import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BubbleUp, CancelledError, cancelledError, isBubbleUp, type CancellationToken } from '@x/core';
import { BackgroundExecutor, ClosedError } from '@x/executor';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';

type Ending = 'ok' | 'fail' | 'bubble' | 'cancel';

interface Spec {
  readonly ending: Ending;
  /** Ends with CancelledError as soon as its token is cancelled. */
  readonly honoursCancel: boolean;
  readonly cancelOnExit: boolean;
  readonly reraiseOnExit: boolean;
  readonly nextTick: boolean;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  ending: fc.constantFrom<Ending>('ok', 'fail', 'bubble', 'cancel'),
  honoursCancel: fc.boolean(),
  cancelOnExit: fc.boolean(),
  reraiseOnExit: fc.boolean(),
  nextTick: fc.boolean(),
});

function endWith(ending: Ending, i: number): unknown {
  switch (ending) {
    case 'ok':
      return i;
    case 'fail':
      throw new Error(`task ${i} failed`);
    case 'bubble':
      throw new BubbleUp(`task ${i} bubbled`);
    case 'cancel':
      throw new CancelledError(`task ${i} gave up`);
  }
}

/** One submitted task, as the test sees it. */
class Probe {
  started = false;
  finished = false;
  startedWhileCancelled = false;
  token: CancellationToken | undefined;
  settled = false;
  rejected = false;
  outcome: unknown;
  finish: ((ending: Ending) => void) | undefined;
  /** The executor had to cancel this task (abort, or close with cancelOnExit) while it was unfinished. */
  mustBeCancelled = false;
  /** ... and it had not started then: it must never start. */
  mustNotStart = false;

  /** Called when the executor must cancel this task, if it is still unfinished. */
  mark(): void {
    if (this.finished) return;
    this.mustBeCancelled = true;
    if (!this.started) this.mustNotStart = true;
  }

  begin(token: CancellationToken): void {
    this.started = true;
    this.startedWhileCancelled = token.isCancelled || this.mustNotStart;
    this.token = token;
  }

  watch(task: PromiseLike<unknown>): void {
    task.then(
      (value) => {
        this.settled = true;
        this.outcome = value;
      },
      (error: unknown) => {
        this.settled = true;
        this.rejected = true;
        this.outcome = error;
      },
    );
  }
}

/** What `close()` must throw, from how the tasks really ended (the exit rules). */
function expectedCloseError(probes: readonly Probe[], specs: readonly Spec[]): unknown {
  for (const [i, probe] of probes.entries()) {
    if (specs[i]!.reraiseOnExit && probe.rejected && !isBubbleUp(probe.outcome)) return probe.outcome;
  }
  return undefined;
}

interface Closing {
  done: boolean;
  error: unknown;
  /** Tasks whose function was still running when close() settled. */
  runningAtClose: number;
}

function watchClose(executor: BackgroundExecutor, probes: readonly Probe[], specs: readonly Spec[]): Closing {
  for (const [i, probe] of probes.entries()) if (specs[i]!.cancelOnExit) probe.mark();
  const closing: Closing = { done: false, error: undefined, runningAtClose: 0 };
  const settle = (error: unknown): void => {
    closing.done = true;
    closing.error = error;
    closing.runningAtClose = probes.filter((p) => p.started && !p.finished).length;
  };
  executor.close().then(
    () => {
      settle(undefined);
    },
    settle,
  );
  return closing;
}

function checkExit(
  probes: readonly Probe[],
  specs: readonly Spec[],
  closing: Closing,
  peak: number,
  max: number,
): void {
  expect(closing.done, 'close() settled').toBe(true);
  expect(closing.runningAtClose, 'no task still running when close() settled').toBe(0);
  expect(probes.every((p) => p.settled), 'every task settled').toBe(true);
  expect(peak).toBeLessThanOrEqual(max);
  for (const [i, probe] of probes.entries()) {
    expect(probe.startedWhileCancelled, `task ${i} started although cancelled`).toBe(false);
    if (!probe.started) expect(CancelledError.is(probe.outcome), `task ${i} never started: cancelled`).toBe(true);
    if (probe.started && probe.mustBeCancelled) {
      expect(probe.token?.isCancelled, `task ${i} token cancelled`).toBe(true);
    }
  }
  expect(closing.error).toBe(expectedCloseError(probes, specs));
}

describe('BackgroundExecutor exit rules (properties)', () => {
  it('settles close() only after every task, cancels what it must and throws what the rules say (scheduler)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(spec, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(1, 2, 3, Infinity),
        fc.boolean(),
        fc.array(fc.nat({ max: 5 }), { maxLength: 2 }),
        async (s, specs, max, abort, cancels) => {
          const controller = new AbortController();
          const executor = new BackgroundExecutor({ maxConcurrency: max, signal: controller.signal });
          let running = 0;
          let peak = 0;
          const probes = specs.map(() => new Probe());
          const tasks = specs.map((sp, i) => {
            const probe = probes[i]!;
            const task = executor.submit(
              async (token) => {
                probe.begin(token);
                peak = Math.max(peak, ++running);
                try {
                  await s.schedule(Promise.resolve(), `task ${i}`);
                  if (sp.honoursCancel && token.isCancelled) throw cancelledError(token.reason);
                  return endWith(sp.ending, i);
                } finally {
                  running--;
                  probe.finished = true;
                }
              },
              { cancelOnExit: sp.cancelOnExit, reraiseOnExit: sp.reraiseOnExit, nextTick: sp.nextTick },
            );
            probe.watch(task);
            return task;
          });
          if (abort) {
            void s.schedule(Promise.resolve(), 'abort').then(() => {
              for (const probe of probes) probe.mark();
              controller.abort();
            });
          }
          for (const k of cancels) {
            void s.schedule(Promise.resolve(), `cancel ${k}`).then(() => {
              tasks[k % tasks.length]!.cancel();
            });
          }
          const closing = watchClose(executor, probes, specs);
          await s.waitIdle();
          await flush();
          checkExit(probes, specs, closing, peak, max);
        },
      ),
    );
  });

  it('keeps the exit rules under random same-tick submits, finishes, cancels, aborts and closes', async () => {
    type Op =
      | { readonly kind: 'submit'; readonly spec: Spec }
      | { readonly kind: 'finish'; readonly k: number }
      | { readonly kind: 'cancel'; readonly k: number }
      | { readonly kind: 'abort' }
      | { readonly kind: 'close' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: spec.map((sp) => ({ kind: 'submit', spec: sp }) as const) },
      { weight: 4, arbitrary: fc.nat({ max: 7 }).map((k) => ({ kind: 'finish', k }) as const) },
      { weight: 2, arbitrary: fc.nat({ max: 7 }).map((k) => ({ kind: 'cancel', k }) as const) },
      { weight: 1, arbitrary: fc.constant({ kind: 'abort' } as const) },
      { weight: 1, arbitrary: fc.constant({ kind: 'close' } as const) },
    );
    await assertProperty(
      fc.asyncProperty(sameTickSteps(op, 30), fc.constantFrom(1, 2, Infinity), async (steps, max) => {
        const controller = new AbortController();
        const executor = new BackgroundExecutor({ maxConcurrency: max, signal: controller.signal });
        const specs: Spec[] = [];
        const probes: Probe[] = [];
        const tasks: { cancel(): void }[] = [];
        let running = 0;
        let peak = 0;
        let aborted = false;
        let closing: Closing | undefined;
        const submit = (sp: Spec): void => {
          const i = probes.length;
          const probe = new Probe();
          const task = executor.submit(
            (token) => {
              probe.begin(token);
              peak = Math.max(peak, ++running);
              return new Promise((resolve, reject) => {
                const end = (ending: Ending): void => {
                  if (probe.finished) return;
                  probe.finished = true;
                  running--;
                  try {
                    resolve(endWith(ending, i));
                  } catch (error) {
                    reject(error);
                  }
                };
                probe.finish = end;
                if (sp.honoursCancel) token.onCancel(() => end('cancel'));
              });
            },
            { cancelOnExit: sp.cancelOnExit, reraiseOnExit: sp.reraiseOnExit, nextTick: sp.nextTick },
          );
          specs.push(sp);
          probes.push(probe);
          if (aborted || (closing !== undefined && sp.cancelOnExit)) probe.mark();
          tasks.push(task);
          probe.watch(task);
        };
        await runSteps(steps, (o) => {
          switch (o.kind) {
            case 'submit':
              try {
                submit(o.spec);
              } catch (error) {
                // Only once close() was called and nothing is left running.
                expect(ClosedError.is(error)).toBe(true);
                expect(closing).toBeDefined();
                expect(running).toBe(0);
              }
              break;
            case 'finish': {
              const probe = probes[o.k];
              probe?.finish?.(specs[o.k]!.ending);
              break;
            }
            case 'cancel':
              tasks[o.k]?.cancel();
              break;
            case 'abort':
              aborted = true;
              for (const probe of probes) probe.mark();
              controller.abort();
              break;
            case 'close':
              closing ??= watchClose(executor, probes, specs);
              break;
          }
        });
        closing ??= watchClose(executor, probes, specs);
        for (let round = 0; round < 10 && !closing.done; round++) {
          for (const [k, probe] of probes.entries()) probe.finish?.(specs[k]!.ending);
          await flush();
        }
        checkExit(probes, specs, closing, peak, max);
      }),
    );
  });
});
