import { BubbleUp, cancelledError, type CancellationToken } from '@x/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertProperty, flush, runSteps, sameTickSteps } from '../../../test-utils/races.js';
import { Supervisor, SupervisorError, type RestartType, type SupervisorStrategy } from '../src/index.js';

/** Fake timers and Date only: `flush()` still needs the real setImmediate. */
function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

afterEach(() => {
  vi.useRealTimers();
});

const strategy: fc.Arbitrary<SupervisorStrategy> = fc.constantFrom('one-for-one', 'one-for-all', 'rest-for-one');
const restartType: fc.Arbitrary<RestartType> = fc.constantFrom('permanent', 'transient', 'temporary');

/** Ends a run of a child: by returning, failing, cancelling itself, or with a BubbleUp. */
type Ending = 'return' | 'fail' | 'cancel' | 'bubble';

/** One run of a child the test ends by hand. */
interface Run {
  readonly child: number;
  readonly token: CancellationToken;
  end: (how: Ending, error: unknown) => void;
  ended: boolean;
}

/** Records runs per child and checks that a child never has two live runs. */
class Harness {
  readonly runs: Run[][];
  readonly live: (Run | null)[];
  violations: string[] = [];

  constructor(size: number, stubborn: readonly boolean[] = []) {
    this.runs = Array.from({ length: size }, () => []);
    this.live = Array.from({ length: size }, () => null);
    this.stubborn = stubborn;
  }

  readonly stubborn: readonly boolean[];

  fn(child: number): (token: CancellationToken) => Promise<void> {
    return (token) =>
      new Promise<void>((resolve, reject) => {
        const previous = this.live[child];
        if (previous !== null && previous !== undefined && !previous.ended && !previous.token.isCancelled) {
          this.violations.push(`child ${child} started again while its previous run was live`);
        }
        const run: Run = {
          child,
          token,
          ended: false,
          end: (how, error) => {
            if (run.ended) return;
            run.ended = true;
            if (how === 'return') resolve();
            else if (how === 'cancel') reject(cancelledError('self'));
            else reject(error);
          },
        };
        this.runs[child]!.push(run);
        this.live[child] = run;
        if (this.stubborn[child] !== true) {
          token.onCancel((reason) => {
            run.end('fail', cancelledError(reason));
          });
        }
      });
  }
}

class Interrupt extends BubbleUp {}

describe('supervisor chaos against a model of the rules', () => {
  it('matches the model: restart counts, strategy effects and the intensity cut-off', async () => {
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('end' as const),
          child: fc.nat(3),
          how: fc.constantFrom<Ending>('return', 'fail', 'fail', 'cancel', 'bubble'),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 600 }) }) },
    );
    await assertProperty(
      fc.asyncProperty(
        strategy,
        fc.array(restartType, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 100, max: 1_000 }),
        fc.array(op, { maxLength: 12 }),
        async (strat, types, maxRestarts, withinMs, ops) => {
          useFakeTime();
          const supervisor = new Supervisor({ strategy: strat, maxRestarts, withinMs, backoff: { initialMs: 0 } });
          const harness = new Harness(types.length);
          types.forEach((restart, i) => {
            supervisor.start(`c${i}`, harness.fn(i), { restart });
          });

          // The model.
          const model: { type: RestartType; running: boolean; restarts: number; lastError: unknown }[] = types.map((type) => ({
            type,
            running: true,
            restarts: 0,
            lastError: undefined,
          }));
          const times: number[] = [];
          let lastFailure: unknown;
          let outcome: 'running' | 'gave-up' | 'bubbled' = 'running';
          let bubble: unknown;
          let errorCount = 0;

          for (const step of ops) {
            if (step.kind === 'advance') {
              vi.advanceTimersByTime(step.ms);
              continue;
            }
            const index = step.child % types.length;
            const entry = model[index]!;
            if (!entry.running) continue;
            const error = step.how === 'bubble' ? new Interrupt('bubble') : new Error(`e${errorCount++}`);
            harness.live[index]!.end(step.how, error);
            await flush();
            // Apply the rules.
            if (step.how === 'bubble') {
              outcome = 'bubbled';
              bubble = error;
              for (const m of model) m.running = false;
              break;
            }
            const failed = step.how === 'fail';
            if (failed) {
              entry.lastError = error;
              lastFailure = error;
            }
            const restart = entry.type === 'permanent' || (entry.type === 'transient' && failed);
            if (!restart) {
              entry.running = false;
            } else {
              const now = Date.now();
              times.push(now);
              while (times.length > 0 && now - times[0]! >= withinMs) times.shift();
              if (times.length > maxRestarts) {
                outcome = 'gave-up';
                for (const m of model) m.running = false;
              } else if (strat === 'one-for-one') {
                entry.restarts++;
              } else {
                const from = strat === 'one-for-all' ? 0 : index;
                for (let j = from; j < model.length; j++) {
                  const other = model[j]!;
                  if (!other.running) continue;
                  if (j !== index && other.type === 'temporary') other.running = false;
                  else other.restarts++;
                }
              }
            }
            if (outcome !== 'running') break;
            expect(
              supervisor.children.map((c) => ({ state: c.state, restarts: c.restarts, lastError: c.lastError })),
            ).toEqual(
              model.map((m) => ({ state: m.running ? 'running' : 'stopped', restarts: m.restarts, lastError: m.lastError })),
            );
          }

          if (outcome === 'running') await supervisor.stop();
          await flush();
          const settled = await supervisor.done.then(
            () => ({ ok: true as const }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          if (outcome === 'running') {
            expect(settled.ok).toBe(true);
          } else if (outcome === 'bubbled') {
            expect(settled).toEqual({ ok: false, error: bubble });
          } else {
            expect(settled.ok).toBe(false);
            const error = (settled as { error: unknown }).error;
            expect(SupervisorError.is(error)).toBe(true);
            expect((error as Error).cause).toBe(lastFailure);
          }
          expect(supervisor.children.every((c) => c.state === 'stopped')).toBe(true);
          expect(supervisor.children.map((c) => c.restarts)).toEqual(model.map((m) => m.restarts));
          expect(harness.violations).toEqual([]);
          expect(vi.getTimerCount()).toBe(0);
          vi.useRealTimers();
        },
      ),
    );
  });
});

describe('supervisor backoff against a model of the rules', () => {
  it('matches the model: backoff delays, their reset, strategy effects and the intensity cut-off', async () => {
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('end' as const),
          child: fc.nat(3),
          how: fc.constantFrom<Ending>('return', 'fail', 'cancel'),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1, 5, 10, 20, 30, 45, 80, 150) }),
      },
    );
    await assertProperty(
      fc.asyncProperty(
        strategy,
        fc.array(restartType, { minLength: 1, maxLength: 3 }),
        fc.record({
          maxRestarts: fc.integer({ min: 0, max: 8 }),
          withinMs: fc.integer({ min: 50, max: 300 }),
          initialMs: fc.constantFrom(10, 25),
          factor: fc.constantFrom(1, 2, 3),
          maxMs: fc.constantFrom(40, 100),
          resetAfterMs: fc.constantFrom(20, 40, 60, 100),
        }),
        fc.array(op, { maxLength: 20 }),
        async (strat, types, config, ops) => {
          useFakeTime();
          const { maxRestarts, withinMs, initialMs, factor, maxMs, resetAfterMs } = config;
          const supervisor = new Supervisor({
            strategy: strat,
            maxRestarts,
            withinMs,
            resetAfterMs,
            backoff: { initialMs, factor, maxMs },
          });
          const harness = new Harness(types.length);
          const t0 = Date.now();
          types.forEach((restart, i) => {
            supervisor.start(`c${i}`, harness.fn(i), { restart });
          });
          interface Model {
            type: RestartType;
            state: 'running' | 'backoff' | 'stopped';
            restarts: number;
            consecutive: number;
            startedAt: number;
            restartAt: number;
          }
          const model = types.map((type): Model => ({
            type,
            state: 'running',
            restarts: 0,
            consecutive: 0,
            startedAt: t0,
            restartAt: 0,
          }));
          const times: number[] = [];
          let gaveUp = false;

          const fire = (until: number): void => {
            // Pending restarts fire in time order; a group fires in start order.
            for (;;) {
              let next = Infinity;
              for (const m of model) if (m.state === 'backoff' && m.restartAt <= until) next = Math.min(next, m.restartAt);
              if (next === Infinity) return;
              for (const m of model) {
                if (m.state === 'backoff' && m.restartAt === next) {
                  m.state = 'running';
                  m.restarts++;
                  m.startedAt = next;
                }
              }
            }
          };

          for (const step of ops) {
            if (step.kind === 'advance') {
              const until = Date.now() + step.ms;
              vi.advanceTimersByTime(step.ms);
              await flush();
              fire(until);
            } else {
              const index = step.child % types.length;
              const entry = model[index]!;
              if (entry.state !== 'running') continue;
              harness.live[index]!.end(step.how, new Error('boom'));
              await flush();
              const now = Date.now();
              const failed = step.how === 'fail';
              const restart = entry.type === 'permanent' || (entry.type === 'transient' && failed);
              if (!restart) {
                entry.state = 'stopped';
              } else {
                times.push(now);
                while (times.length > 0 && now - times[0]! >= withinMs) times.shift();
                if (times.length > maxRestarts) {
                  gaveUp = true;
                  break;
                }
                if (now - entry.startedAt >= resetAfterMs) entry.consecutive = 0;
                entry.consecutive++;
                const delay = Math.min(maxMs, initialMs * factor ** (entry.consecutive - 1));
                const group =
                  strat === 'one-for-one'
                    ? [entry]
                    : model.slice(strat === 'one-for-all' ? 0 : index).filter((m) => m === entry || m.state !== 'stopped');
                for (const m of group) {
                  if (m !== entry && m.type === 'temporary') {
                    m.state = 'stopped';
                    continue;
                  }
                  m.state = 'backoff';
                  m.restartAt = now + delay;
                }
              }
            }
            expect(supervisor.children.map((c) => `${c.state}:${c.restarts}`)).toEqual(
              model.map((m) => `${m.state}:${m.restarts}`),
            );
          }

          if (!gaveUp) await supervisor.stop();
          await flush();
          const settled = await supervisor.done.then(
            () => 'resolved',
            (error: unknown) => (SupervisorError.is(error) ? 'gave-up' : 'other'),
          );
          expect(settled).toBe(gaveUp ? 'gave-up' : 'resolved');
          expect(supervisor.children.every((c) => c.state === 'stopped')).toBe(true);
          expect(harness.violations).toEqual([]);
          expect(vi.getTimerCount()).toBe(0);
          vi.useRealTimers();
        },
      ),
    );
  });
});

describe('supervisor races', () => {
  it('keeps one live run per child, reports every run once and leaves nothing behind (same-tick operations)', async () => {
    type Op =
      | { kind: 'end'; child: number; how: Ending }
      | { kind: 'advance'; ms: number }
      | { kind: 'stop' }
      | { kind: 'start'; restart: RestartType };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('end' as const),
          child: fc.nat(5),
          how: fc.constantFrom<Ending>('return', 'fail', 'fail', 'cancel', 'bubble'),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('start' as const), restart: restartType }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
    );
    await assertProperty(
      fc.asyncProperty(
        strategy,
        fc.array(fc.tuple(restartType, fc.boolean()), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, 0, 50),
        sameTickSteps(op, 20),
        async (strat, specs, maxRestarts, initialMs, steps) => {
          useFakeTime();
          const supervisor = new Supervisor({ strategy: strat, maxRestarts, withinMs: 1_000, backoff: { initialMs } });
          const capacity = 6;
          const stubborn = [...specs.map(([, s]) => s), ...Array<boolean>(capacity).fill(false)];
          const harness = new Harness(capacity, stubborn);
          const counts = { begin: 0, end: 0, restarted: new Map<string, number>() };
          supervisor.on('child-started', () => counts.begin++);
          supervisor.on('child-restarted', ({ name }) => {
            counts.begin++;
            counts.restarted.set(name, (counts.restarted.get(name) ?? 0) + 1);
          });
          supervisor.on('child-failed', () => counts.end++);
          supervisor.on('child-stopped', () => counts.end++);
          let started = 0;
          const startChild = (restart: RestartType): void => {
            if (started >= capacity) return;
            try {
              supervisor.start(`c${started}`, harness.fn(started), { restart, shutdownMs: 100 });
              started++;
            } catch (error) {
              expect(SupervisorError.is(error)).toBe(true);
            }
          };
          for (const [restart] of specs) startChild(restart);
          let stopping: Promise<void> | undefined;

          await runSteps(steps, (step) => {
            if (step.kind === 'end') {
              const run = harness.live[step.child % Math.max(started, 1)];
              run?.end(step.how, step.how === 'bubble' ? new Interrupt() : new Error('boom'));
            } else if (step.kind === 'advance') {
              vi.advanceTimersByTime(step.ms);
            } else if (step.kind === 'start') {
              startChild(step.restart);
            } else {
              stopping = supervisor.stop();
            }
          });
          const stopped = supervisor.stop();
          expect(stopping === undefined || stopping === stopped).toBe(true);
          // Let stubborn runs use up their shutdown time.
          for (let i = 0; i < 10 && vi.getTimerCount() > 0; i++) {
            vi.advanceTimersByTime(100);
            await flush();
          }
          await stopped;
          await supervisor.done.catch(() => {});
          const calls = harness.runs.reduce((sum, runs) => sum + runs.length, 0);
          expect(harness.violations).toEqual([]);
          expect(counts.begin).toBe(calls);
          expect(counts.end).toBe(calls);
          expect(supervisor.children.every((c) => c.state === 'stopped')).toBe(true);
          for (const child of supervisor.children) {
            expect(child.restarts).toBe(counts.restarted.get(child.name) ?? 0);
          }
          expect(harness.runs.flat().every((run) => run.token.isCancelled || run.ended)).toBe(true);
          expect(vi.getTimerCount()).toBe(0);
          // Nothing starts after done.
          for (const run of harness.runs.flat()) run.end('fail', new Error('late'));
          await flush();
          expect(harness.runs.reduce((sum, runs) => sum + runs.length, 0)).toBe(calls);
          vi.useRealTimers();
        },
      ),
    );
  });

  it('settles done and stops every run whatever order the children settle in (scheduler)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        strategy,
        fc.array(fc.tuple(restartType, fc.array(fc.constantFrom<Ending>('return', 'fail', 'cancel', 'bubble'), { minLength: 1, maxLength: 4 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (s, strat, specs, maxRestarts, stopEarly) => {
          const supervisor = new Supervisor({ strategy: strat, maxRestarts, backoff: { initialMs: 0 } });
          let live = 0;
          let maxLive = 0;
          const perChild = specs.map(() => 0);
          specs.forEach(([restart, endings], i) => {
            supervisor.start(
              `c${i}`,
              async (token) => {
                const run = perChild[i]!++;
                live++;
                maxLive = Math.max(maxLive, live);
                try {
                  const how = endings[run % endings.length]!;
                  await Promise.race([
                    s.schedule(Promise.resolve(how), `c${i}#${run}`),
                    new Promise<never>((_, reject) => token.onCancel((reason) => reject(cancelledError(reason)))),
                  ]);
                  if (how === 'fail') throw new Error('boom');
                  if (how === 'cancel') throw cancelledError('self');
                  if (how === 'bubble') throw new Interrupt();
                } finally {
                  live--;
                }
              },
              { restart },
            );
          });
          if (stopEarly) void s.schedule(Promise.resolve(), 'stop').then(() => supervisor.stop());
          await s.waitIdle();
          await supervisor.stop();
          await supervisor.done.catch(() => {});
          expect(live).toBe(0);
          expect(maxLive).toBeLessThanOrEqual(specs.length);
          expect(supervisor.children.every((c) => c.state === 'stopped')).toBe(true);
          // With every restart counted, the intensity bounds the runs.
          const restarts = supervisor.children.reduce((sum, c) => sum + c.restarts, 0);
          expect(restarts).toBeLessThanOrEqual(maxRestarts * specs.length);
        },
      ),
    );
  });
});
