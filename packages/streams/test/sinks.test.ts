import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CancellationSource, CancelledError } from '@x/core';
import { forEach, map, pipe, reduce, toArray } from '../src/index.js';
import { ticks, tracked, untilCancelled } from './helpers.js';

describe('toArray', () => {
  it('collects every item of a sync or async iterable', async () => {
    expect(await toArray([1, 2])).toEqual([1, 2]);
    expect(await toArray(tracked(['x']))).toEqual(['x']);
  });

  it('rejects with CancelledError after cleaning up the whole pipeline when the signal fires', async () => {
    const controller = new AbortController();
    const source = tracked([1, 2, 3, 4]);
    let running = 0;
    const events: string[] = [];
    const result = toArray(
      pipe(
        source,
        map(
          async (_: number, token) => {
            running++;
            try {
              return await untilCancelled(token);
            } finally {
              await ticks(3);
              running--;
              events.push('callback settled');
            }
          },
          { concurrency: 2 },
        ),
      ),
      { signal: controller.signal },
    );
    await ticks();
    expect(running).toBe(2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('user left');
    controller.abort(reason);
    const error: unknown = await result.catch((e: unknown) => e);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe(reason);
    expect(running).toBe(0);
    expect(events).toEqual(['callback settled', 'callback settled']);
    expect(source.log.returns).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('starts nothing when the signal has already fired', async () => {
    const source = tracked([1]);
    const cancel = new CancellationSource();
    cancel.cancel('gone');
    await expect(toArray(source, { signal: cancel.token })).rejects.toBeInstanceOf(CancelledError);
    expect(source.log.pulls).toBe(0);
  });

  it('removes its listener once it has finished', async () => {
    const controller = new AbortController();
    await toArray(tracked([1, 2]), { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('passes a pipeline error through unchanged', async () => {
    const failure = new Error('x');
    await expect(toArray(tracked([1], { failAt: 0, error: failure }))).rejects.toBe(failure);
  });

  it('throws at once for a non-iterable or a bad signal', () => {
    expect(() => toArray(3 as never)).toThrow(/Expected `iterable` to be an iterable/);
    expect(() => toArray([], { signal: 'soon' as never })).toThrow(TypeError);
  });
});

describe('forEach', () => {
  it('calls fn for each item in turn, awaiting it', async () => {
    const seen: number[] = [];
    let running = 0;
    await forEach(tracked([1, 2, 3]), async (n) => {
      expect(running).toBe(0);
      running++;
      await ticks(2);
      seen.push(n);
      running--;
    });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('closes the pipeline and rejects with what fn threw', async () => {
    const source = tracked([1, 2, 3]);
    const failure = new Error('write failed');
    await expect(
      forEach(source, (n) => {
        if (n === 2) throw failure;
      }),
    ).rejects.toBe(failure);
    expect(source.log.returns).toBe(1);
  });

  it('cancels the running fn through its token when the signal fires', async () => {
    const cancel = new CancellationSource();
    const source = tracked([1, 2]);
    const done = forEach(source, (_, token) => untilCancelled(token), { signal: cancel.token });
    await ticks();
    cancel.cancel('stop');
    await expect(done).rejects.toBeInstanceOf(CancelledError);
    expect(source.log.returns).toBe(1);
  });

  it('throws at once for a non-function fn', () => {
    expect(() => forEach([], 1 as never)).toThrow(/`fn`/);
  });
});

describe('reduce', () => {
  it('folds items with sync and async reducers', async () => {
    expect(await reduce([1, 2, 3], (sum, n) => sum + n, 0)).toBe(6);
    expect(await reduce(tracked(['a', 'b']), async (acc, s) => acc + s, '')).toBe('ab');
  });

  it('rejects with CancelledError when the signal fires between items', async () => {
    const controller = new AbortController();
    const source = tracked([1, 2, 3]);
    const result = reduce(
      source,
      (sum, n) => {
        if (n === 2) controller.abort('enough');
        return sum + n;
      },
      0,
      { signal: controller.signal },
    );
    await expect(result).rejects.toBeInstanceOf(CancelledError);
    expect(source.log.returns).toBe(1);
  });

  it('throws at once for a non-function reducer', () => {
    expect(() => reduce([], undefined as never, 0)).toThrow(TypeError);
  });
});
