import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CancellationSource, CancellationToken, WaitQueue, isCancellation } from '@x/core';
import { registrationCount } from '../src/cancellation.js';
import { assertProperty, runSteps, sameTickSteps } from '../../../test-utils/races.js';

type Op = { kind: 'wait'; signal: number | null } | { kind: 'wake' } | { kind: 'abort'; signal: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), signal: fc.option(fc.nat(2)) }),
  fc.constant({ kind: 'wake' as const }),
  fc.record({ kind: fc.constant('abort' as const), signal: fc.nat(2) }),
);

describe('WaitQueue races', () => {
  it('wakes in FIFO order, settles every waiter once and loses no value (same-tick sequences)', async () => {
    await assertProperty(
      fc.asyncProperty(sameTickSteps(op, 50), async (steps) => {
        const given: number[] = [];
        const abandoned: number[] = [];
        const queue = new WaitQueue<number, number>({ onAbandon: (value) => abandoned.push(value) });
        const sources = [new CancellationSource(), new CancellationSource(), new CancellationSource()];
        const outcomes = new Map<number, { value?: number; cancelled?: boolean }>();
        let next = 0;
        let value = 0;
        const woken: number[] = [];
        await runSteps(steps, (o) => {
          if (o.kind === 'wait') {
            const id = next++;
            const signal = o.signal === null ? undefined : sources[o.signal]!.token;
            queue.wait(id, { signal }).then(
              (v) => outcomes.set(id, { value: v }),
              (error: unknown) => {
                outcomes.set(id, { cancelled: isCancellation(error) });
              },
            );
          } else if (o.kind === 'wake') {
            if (!queue.isEmpty) {
              const v = value++;
              given.push(v);
              woken.push(queue.wake(v)!);
            }
          } else {
            sources[o.signal]!.cancel();
          }
        });
        // Every waiter woken or left; none twice; wakes in id order (FIFO).
        expect(outcomes.size + queue.size).toBe(next);
        expect([...outcomes.values()].every((o) => o.value !== undefined || o.cancelled === true)).toBe(true);
        expect([...woken]).toEqual([...woken].sort((a, b) => a - b));
        // Every value given out was either received or handed back.
        const received = [...outcomes.values()].flatMap((o) => (o.value === undefined ? [] : [o.value]));
        expect([...received, ...abandoned].sort((a, b) => a - b)).toEqual(given);
        queue.rejectAll(new Error('end'));
        await Promise.resolve();
        for (const source of sources) expect(registrationCount(source.token)).toBe(0);
      }),
    );
  });

  it('never leaves a cancelled waiter in the queue (scheduler)', async () => {
    await assertProperty(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (s, aborts) => {
        const queue = new WaitQueue<void, number>();
        const controllers = aborts.map(() => new AbortController());
        const results = aborts.map((_, i) =>
          queue.wait(i, { signal: CancellationToken.from(controllers[i]!.signal) }).then(
            () => 'woken',
            () => 'cancelled',
          ),
        );
        aborts.forEach((abort, i) => {
          if (abort) void s.schedule(Promise.resolve(), `abort ${i}`).then(() => controllers[i]!.abort());
        });
        for (let i = 0; i < aborts.length; i++) void s.schedule(Promise.resolve(), `wake ${i}`).then(() => queue.wake());
        await s.waitIdle();
        while (!queue.isEmpty) queue.wake();
        const settled = await Promise.all(results);
        expect(settled.filter((r) => r === 'woken').length + settled.filter((r) => r === 'cancelled').length).toBe(
          aborts.length,
        );
        settled.forEach((r, i) => {
          if (!aborts[i]) expect(r).toBe('woken');
        });
      }),
    );
  });
});
