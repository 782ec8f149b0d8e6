import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancelledError, type CancellationToken } from '@x/core';
import { any, race, TaskGroupError } from '../src/index.js';

async function caught(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function cancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      reject(new CancelledError());
    });
  });
}

function after<T>(ms: number, value: T, token: CancellationToken): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, value);
    token.onCancel(() => {
      clearTimeout(timer);
      reject(new CancelledError());
    });
  });
}

describe('race', () => {
  it('resolves with the first value and cancels and awaits the losers before it settles', async () => {
    vi.useFakeTimers();
    let loserSettled = false;
    const outcome = race([
      (token) => after(10, 'fast', token),
      async (token) => {
        try {
          return await after(50, 'slow', token);
        } finally {
          await Promise.resolve();
          loserSettled = true;
        }
      },
    ]);
    await vi.advanceTimersByTimeAsync(10);
    await expect(outcome).resolves.toBe('fast');
    expect(loserSettled).toBe(true);
  });

  it('rejects with the error of the first to settle, unchanged', async () => {
    const boom = new Error('boom');
    const error = await caught(
      race([
        async () => {
          await Promise.resolve();
          throw boom;
        },
        (token) => cancelled(token),
      ]),
    );
    expect(error).toBe(boom);
  });

  it('ignores what losers throw once cancelled', async () => {
    await expect(
      race([
        async () => 'win',
        async (token) => {
          await cancelled(token).catch(() => undefined);
          throw new Error('loser failed');
        },
      ]),
    ).resolves.toBe('win');
  });

  it('passes a BubbleUp from a loser through unchanged', async () => {
    const interrupt = new BubbleUp('stop');
    await expect(
      race([
        async () => 'win',
        async (token) => {
          await cancelled(token).catch(() => undefined);
          throw interrupt;
        },
      ]),
    ).rejects.toBe(interrupt);
  });

  it('does not let a cancelled contender win', async () => {
    await expect(
      race([
        () => {
          throw new CancelledError('gave up');
        },
        async () => {
          await Promise.resolve();
          return 'second';
        },
      ]),
    ).resolves.toBe('second');
    const own = new CancelledError('all gave up');
    await expect(race([() => Promise.reject(own)])).rejects.toBe(own);
  });

  it('rejects with CancelledError when its signal fires first and leaves no listener', async () => {
    const controller = new AbortController();
    const outcome = race([(token) => cancelled(token), (token) => cancelled(token)], { signal: controller.signal });
    await Promise.resolve();
    controller.abort('stop');
    const error = await caught(outcome);
    expect(CancelledError.is(error)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('starts nothing when its signal is already aborted', async () => {
    const fn = vi.fn();
    expect(CancelledError.is(await caught(race([fn], { signal: AbortSignal.abort() })))).toBe(true);
    expect(fn).not.toHaveBeenCalled();
  });

  it('throws synchronously for an empty list or something that is not a function', () => {
    expect(() => race([])).toThrow(RangeError);
    expect(() => race([() => 1, 2 as never])).toThrow(/`fns\[1\]`/);
    expect(() => race(3 as never)).toThrow(TypeError);
  });
});

describe('any', () => {
  it('resolves with the first success and cancels and awaits the others', async () => {
    vi.useFakeTimers();
    let otherSettled = false;
    const outcome = any([
      async () => {
        await Promise.resolve();
        throw new Error('first fails');
      },
      (token) => after(20, 'second', token),
      async (token) => {
        try {
          return await after(50, 'third', token);
        } finally {
          otherSettled = true;
        }
      },
    ]);
    await vi.advanceTimersByTimeAsync(20);
    await expect(outcome).resolves.toBe('second');
    expect(otherSettled).toBe(true);
  });

  it('rejects with TaskGroupError holding every failure in order when none succeeds', async () => {
    const a = new Error('a');
    const b = new Error('b');
    const error = await caught(
      any([
        async () => {
          await new Promise((resolve) => setImmediate(resolve));
          throw a;
        },
        () => {
          throw b;
        },
        () => {
          throw new CancelledError();
        },
      ]),
    );
    expect(TaskGroupError.is(error)).toBe(true);
    expect((error as TaskGroupError).errors).toEqual([b, a]);
  });

  it('rejects with the first cancellation when every contender was cancelled', async () => {
    const own = new CancelledError('mine');
    await expect(any([() => Promise.reject(own), () => Promise.reject(new CancelledError())])).rejects.toBe(own);
  });

  it('rejects with CancelledError when its signal fires before any success', async () => {
    const controller = new AbortController();
    const outcome = any([(token) => cancelled(token)], { signal: controller.signal });
    controller.abort();
    expect(CancelledError.is(await caught(outcome))).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('passes a BubbleUp through unchanged', async () => {
    const interrupt = new BubbleUp('stop');
    await expect(any([() => Promise.reject(interrupt), (token) => cancelled(token)])).rejects.toBe(interrupt);
  });

  it('throws synchronously for an empty list', () => {
    expect(() => any([])).toThrow(/at least one function/);
  });
});
