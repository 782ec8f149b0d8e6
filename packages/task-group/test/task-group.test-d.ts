import { describe, expectTypeOf, it } from 'vitest';
import type { CancellationToken } from '@x/core';
import { any, map, race, TaskGroup, type Task } from '../src/index.js';

describe('TaskGroup types', () => {
  it('returns the body value type from run', () => {
    expectTypeOf(TaskGroup.run(async () => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(TaskGroup.run(() => 'sync')).toEqualTypeOf<Promise<string>>();
  });

  it('gives the body the group and a token, and spawn a typed task', () => {
    void TaskGroup.run(async (tg, token) => {
      expectTypeOf(tg).toEqualTypeOf<TaskGroup>();
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
      const task = tg.spawn(async (t) => {
        expectTypeOf(t).toEqualTypeOf<CancellationToken>();
        return { id: 1 };
      });
      expectTypeOf(task).toEqualTypeOf<Task<{ id: number }>>();
      expectTypeOf(await task).toEqualTypeOf<{ id: number }>();
      expectTypeOf(tg.spawn(() => 'sync')).toEqualTypeOf<Task<string>>();
      expectTypeOf(task.name).toEqualTypeOf<string | undefined>();
    });
  });

  it('rejects options of the wrong type', () => {
    // @ts-expect-error maxConcurrency is a number
    new TaskGroup({ maxConcurrency: '2' });
    // @ts-expect-error signal is an AbortSignal or a token
    new TaskGroup({ signal: 'now' });
    void TaskGroup.run((tg) => {
      // @ts-expect-error name is a string
      tg.spawn(() => 1, { name: 1 });
    });
  });
});

describe('map, race and any types', () => {
  it('infers the result element type of map from fn, for iterables and async iterables', () => {
    expectTypeOf(map([1, 2], (n) => String(n))).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(map(new Set(['a']), async (s, token) => {
      expectTypeOf(s).toEqualTypeOf<string>();
      expectTypeOf(token).toEqualTypeOf<CancellationToken>();
      return s.length;
    })).toEqualTypeOf<Promise<number[]>>();
    async function* source(): AsyncGenerator<boolean> {
      yield true;
    }
    expectTypeOf(map(source(), (b) => !b, { concurrency: 4 })).toEqualTypeOf<Promise<boolean[]>>();
  });

  it('infers the winner type of race and any', () => {
    expectTypeOf(race([async () => 1, () => 2])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(any([async () => 'a', async (token: CancellationToken) => String(token.isCancelled)])).toEqualTypeOf<
      Promise<string>
    >();
    // @ts-expect-error concurrency is a number
    void map([1], (n) => n, { concurrency: 'many' });
  });
});
