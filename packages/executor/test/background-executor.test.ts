import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancellationSource, CancellationToken, CancelledError, isCancellation } from '@x/core';
import { BackgroundExecutor, ClosedError } from '@x/executor';
import { flush } from '../../../test-utils/races.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A task body that ends when its token is cancelled, the way well-behaved tasks do. */
function untilCancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel((reason) => {
      reject(new CancelledError(undefined, { cause: reason }));
    });
  });
}

async function outcome(promise: PromiseLike<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('BackgroundExecutor.submit', () => {
  it('starts the function synchronously and resolves the task with its value', async () => {
    const executor = new BackgroundExecutor();
    const started = vi.fn();
    const task = executor.submit(async () => {
      started();
      await Promise.resolve();
      return 42;
    });
    expect(started).toHaveBeenCalledTimes(1);
    await expect(task).resolves.toBe(42);
    await executor.close();
  });

  it('passes a CancellationToken as the last argument', async () => {
    const executor = new BackgroundExecutor();
    let received: unknown;
    executor.submit((token) => {
      received = token;
    });
    expect(CancellationToken.is(received)).toBe(true);
    expect((received as CancellationToken).isCancelled).toBe(false);
    await executor.close();
  });

  it('accepts functions that return a plain value or a non-native thenable', async () => {
    const executor = new BackgroundExecutor();
    const thenable = {
      then(onfulfilled: (value: string) => void): void {
        onfulfilled('thenable');
      },
    };
    await expect(executor.submit(() => 'plain')).resolves.toBe('plain');
    await expect(executor.submit(() => thenable as unknown as PromiseLike<string>)).resolves.toBe('thenable');
    await executor.close();
  });

  it('rejects the task with what the function throws, synchronously or not', async () => {
    const executor = new BackgroundExecutor();
    const sync = new Error('sync');
    const async = new Error('async');
    const a = executor.submit(
      () => {
        throw sync;
      },
      { reraiseOnExit: false },
    );
    const b = executor.submit(
      async () => {
        await Promise.resolve();
        throw async;
      },
      { reraiseOnExit: false },
    );
    await expect(a).rejects.toBe(sync);
    await expect(b).rejects.toBe(async);
    await executor.close();
  });

  it('never lets the failure of a task nobody awaits become an unhandled rejection', async () => {
    const executor = new BackgroundExecutor();
    const error = new Error('boom');
    executor.submit(() => Promise.reject(error), { reraiseOnExit: false });
    executor.submit(() => Promise.reject(error));
    await flush();
    await expect(executor.close()).rejects.toBe(error);
  });

  it('names the task after the name option, else the function, else its number', async () => {
    const executor = new BackgroundExecutor();
    function fetchUser(): number {
      return 1;
    }
    expect(executor.submit(fetchUser, { name: 'user 7' }).name).toBe('user 7');
    expect(executor.submit(fetchUser).name).toBe('fetchUser');
    expect(executor.submit([() => 1][0]!).name).toBe('task #3');
    await executor.close();
  });

  it('works with then, catch and finally like a promise', async () => {
    const executor = new BackgroundExecutor();
    const ok = executor.submit(() => 1);
    const bad = executor.submit(() => Promise.reject(new Error('x')), { reraiseOnExit: false });
    expect(await ok.then((v) => v + 1)).toBe(2);
    expect(await bad.catch((e: unknown) => (e as Error).message)).toBe('x');
    const onFinally = vi.fn();
    expect(await ok.finally(onFinally)).toBe(1);
    expect(onFinally).toHaveBeenCalledTimes(1);
    expect(Object.prototype.toString.call(ok)).toBe('[object Task]');
    await executor.close();
  });

  it('starts a nextTick task only after the current synchronous code', async () => {
    const executor = new BackgroundExecutor();
    const order: string[] = [];
    const task = executor.submit(
      () => {
        order.push('task');
        return 'done';
      },
      { nextTick: true },
    );
    order.push('after submit');
    await expect(task).resolves.toBe('done');
    expect(order).toEqual(['after submit', 'task']);
    await executor.close();
  });

  it('never starts a nextTick task cancelled before its tick', async () => {
    const executor = new BackgroundExecutor();
    const fn = vi.fn();
    const task = executor.submit(fn, { nextTick: true });
    task.cancel('not needed');
    const { error } = await outcome(task);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe('not needed');
    expect(fn).not.toHaveBeenCalled();
    await executor.close();
  });

  it('cancels the token of a running task and lets its function decide how to end', async () => {
    const executor = new BackgroundExecutor();
    const stubborn = executor.submit(async (token) => {
      await new Promise<void>((resolve) => token.onCancel(() => resolve()));
      return 'finished anyway';
    });
    const polite = executor.submit(untilCancelled);
    stubborn.cancel();
    polite.cancel('stop');
    await expect(stubborn).resolves.toBe('finished anyway');
    const { error } = await outcome(polite);
    expect(CancelledError.is(error)).toBe(true);
    await executor.close();
  });

  it('ignores cancel() once the task has settled', async () => {
    const executor = new BackgroundExecutor();
    let token: CancellationToken | undefined;
    const task = executor.submit((t) => {
      token = t;
      return 1;
    });
    await task;
    task.cancel();
    expect(token?.isCancelled).toBe(false);
    await executor.close();
  });

  it('runs a task that waited in the async context of its submit call', async () => {
    const storage = new AsyncLocalStorage<string>();
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    const gate = deferred();
    const seen: (string | undefined)[] = [];
    storage.run('first', () => executor.submit(() => gate.promise));
    storage.run('gated', () => executor.submit(() => void seen.push(storage.getStore())));
    storage.run('next tick', () => executor.submit(() => void seen.push(storage.getStore()), { nextTick: true }));
    storage.run('releaser', () => {
      gate.resolve();
    });
    await executor.close();
    expect(seen).toEqual(['gated', 'next tick']);
  });
});

describe('BackgroundExecutor maxConcurrency', () => {
  it('runs at most maxConcurrency functions at once and starts the rest in submission order', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 2 });
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    gates.forEach((gate, i) => {
      executor.submit(async () => {
        started.push(i);
        peak = Math.max(peak, ++running);
        await gate.promise;
        running--;
      });
    });
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    await flush();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]!.resolve();
    gates[4]!.resolve();
    await executor.close();
    expect(peak).toBe(2);
  });

  it('never starts a task cancelled while it waits at the gate, and lets the next one through', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    const gate = deferred();
    executor.submit(() => gate.promise);
    const skipped = vi.fn();
    const waiting = executor.submit(skipped);
    const next = executor.submit(() => 'next');
    waiting.cancel('changed my mind');
    const { error } = await outcome(waiting);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe('changed my mind');
    gate.resolve();
    await expect(next).resolves.toBe('next');
    expect(skipped).not.toHaveBeenCalled();
    await executor.close();
  });

  it('passes the slot on when a task is cancelled right after it was handed one', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    const gate = deferred();
    const first = executor.submit(() => gate.promise);
    const skipped = vi.fn();
    const handedOver = executor.submit(skipped);
    const last = executor.submit(() => 'last');
    // Runs right after the executor hands the slot to `handedOver`, before it resumes.
    void gate.promise.then(() => {
      handedOver.cancel();
    });
    gate.resolve();
    await first;
    await expect(last).resolves.toBe('last');
    expect(skipped).not.toHaveBeenCalled();
    expect(CancelledError.is((await outcome(handedOver)).error)).toBe(true);
    await executor.close();
  });

  it('frees the slot of a task that throws synchronously', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    const failed = executor.submit(
      () => {
        throw new Error('sync');
      },
      { reraiseOnExit: false },
    );
    await expect(executor.submit(() => 'ran')).resolves.toBe('ran');
    await expect(failed).rejects.toThrow('sync');
    await executor.close();
  });

  it('rejects a maxConcurrency that is not an integer from 1 and up', () => {
    expect(() => new BackgroundExecutor({ maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => new BackgroundExecutor({ maxConcurrency: 0 })).toThrow(
      'Expected `maxConcurrency` to be an integer from 1 and up, got `0` (number)',
    );
    expect(() => new BackgroundExecutor({ maxConcurrency: 1.5 })).toThrow(RangeError);
    expect(() => new BackgroundExecutor({ maxConcurrency: '2' as never })).toThrow(TypeError);
    expect(() => new BackgroundExecutor({ maxConcurrency: Infinity })).not.toThrow();
  });
});

describe('BackgroundExecutor.close', () => {
  it('resolves at once when there is nothing to wait for', async () => {
    await expect(new BackgroundExecutor().close()).resolves.toBeUndefined();
  });

  it('waits for every task to settle before it settles', async () => {
    vi.useFakeTimers();
    const executor = new BackgroundExecutor();
    const finished: number[] = [];
    for (const ms of [30, 10, 20]) {
      executor.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        finished.push(ms);
      });
    }
    let closed = false;
    const closing = executor.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(closed).toBe(false);
    expect(finished).toEqual([10, 20]);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(finished).toEqual([10, 20, 30]);
  });

  it('cancels the tasks flagged cancelOnExit and only those', async () => {
    const executor = new BackgroundExecutor();
    const tokens: CancellationToken[] = [];
    const poller = executor.submit(
      (token) => {
        tokens.push(token);
        return untilCancelled(token);
      },
      { cancelOnExit: true },
    );
    const gate = deferred<string>();
    const worker = executor.submit((token) => {
      tokens.push(token);
      return gate.promise;
    });
    const closing = executor.close();
    expect(tokens.map((t) => t.isCancelled)).toEqual([true, false]);
    gate.resolve('work');
    await closing;
    expect(CancelledError.is((await outcome(poller)).error)).toBe(true);
    await expect(worker).resolves.toBe('work');
  });

  it('throws the first failure in submission order, not the first to happen', async () => {
    vi.useFakeTimers();
    const executor = new BackgroundExecutor();
    const early = new Error('submitted second, fails first');
    const late = new Error('submitted first, fails last');
    executor.submit(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw late;
    });
    executor.submit(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw early;
    });
    const closing = outcome(executor.close());
    await vi.advanceTimersByTimeAsync(20);
    expect((await closing).error).toBe(late);
  });

  it('re-throws a failure that a cancelOnExit task raises while it is being cancelled', async () => {
    const executor = new BackgroundExecutor();
    const cleanupFailed = new Error('cleanup failed');
    executor.submit(
      (token) =>
        new Promise((_, reject) => {
          token.onCancel(() => {
            reject(cleanupFailed);
          });
        }),
      { cancelOnExit: true },
    );
    await expect(executor.close()).rejects.toBe(cleanupFailed);
  });

  it('does not re-throw the failures of tasks flagged reraiseOnExit: false', async () => {
    const executor = new BackgroundExecutor();
    const quiet = executor.submit(() => Promise.reject(new Error('quiet')), { reraiseOnExit: false });
    await expect(executor.close()).resolves.toBeUndefined();
    await expect(quiet).rejects.toThrow('quiet');
  });

  it('never re-throws cancellations or BubbleUp errors', async () => {
    class Interrupt extends BubbleUp {}
    const executor = new BackgroundExecutor();
    executor.submit(() => Promise.reject(new CancelledError()));
    executor.submit(() => Promise.reject(new DOMException('aborted', 'AbortError')));
    executor.submit(() => Promise.reject(new Interrupt('human input needed')));
    const failure = new Error('real');
    executor.submit(() => Promise.reject(failure));
    await expect(executor.close()).rejects.toBe(failure);
  });

  it('accepts and awaits a task that a running task submits while the executor closes', async () => {
    const executor = new BackgroundExecutor();
    const gate = deferred();
    const child = deferred<string>();
    const childError = new Error('from the child');
    let submitted: PromiseLike<unknown> | undefined;
    executor.submit(async () => {
      await gate.promise;
      submitted = executor.submit(async () => {
        await child.promise;
        throw childError;
      });
    });
    let closed = false;
    const closing = outcome(executor.close()).finally(() => {
      closed = true;
    });
    gate.resolve();
    await flush();
    expect(submitted).toBeDefined();
    expect(closed).toBe(false);
    child.resolve('go');
    expect((await closing).error).toBe(childError);
  });

  it('cancels at once, without starting it, a cancelOnExit task submitted while closing', async () => {
    const executor = new BackgroundExecutor();
    const gate = deferred();
    executor.submit(() => gate.promise);
    const closing = executor.close();
    const fn = vi.fn();
    const late = executor.submit(fn, { cancelOnExit: true });
    expect(fn).not.toHaveBeenCalled();
    expect(CancelledError.is((await outcome(late)).error)).toBe(true);
    gate.resolve();
    await closing;
  });

  it('rejects submit with ClosedError once close() has finished', async () => {
    const executor = new BackgroundExecutor();
    await executor.close();
    expect(() => executor.submit(() => 1)).toThrow(ClosedError);
    try {
      executor.submit(() => 1);
    } catch (error) {
      expect(ClosedError.is(error)).toBe(true);
      expect((error as Error).name).toBe('ClosedError');
    }
    expect(ClosedError.is(new Error('closed'))).toBe(false);
  });

  it('returns the same promise when called again', async () => {
    const executor = new BackgroundExecutor();
    const failure = new Error('once');
    executor.submit(() => Promise.reject(failure));
    const first = executor.close();
    expect(executor.close()).toBe(first);
    await expect(first).rejects.toBe(failure);
    await expect(executor.close()).rejects.toBe(failure);
  });

  it('closes the executor when an await using block ends', async () => {
    const gate = deferred();
    const finished = vi.fn();
    let executor: BackgroundExecutor | undefined;
    {
      await using scoped = new BackgroundExecutor();
      executor = scoped;
      scoped.submit(async () => {
        await gate.promise;
        finished();
      });
      gate.resolve();
    }
    expect(finished).toHaveBeenCalled();
    expect(() => executor.submit(() => 1)).toThrow(ClosedError);
  });

  it('waits for tasks at the gate, and never starts the cancelOnExit ones', async () => {
    const executor = new BackgroundExecutor({ maxConcurrency: 1 });
    const gate = deferred();
    executor.submit(() => gate.promise);
    const kept = executor.submit(() => 'kept');
    const dropped = vi.fn();
    const cancelled = executor.submit(dropped, { cancelOnExit: true });
    const closing = executor.close();
    gate.resolve();
    await closing;
    await expect(kept).resolves.toBe('kept');
    expect(dropped).not.toHaveBeenCalled();
    expect(CancelledError.is((await outcome(cancelled)).error)).toBe(true);
  });

  it('throws what onCancel callbacks threw while it cancelled tasks, when no task failed', async () => {
    const executor = new BackgroundExecutor();
    const oops = new Error('callback');
    executor.submit(
      (token) => {
        token.onCancel(() => {
          throw oops;
        });
        return untilCancelled(token);
      },
      { cancelOnExit: true },
    );
    await expect(executor.close()).rejects.toBe(oops);
  });
});

describe('BackgroundExecutor signal', () => {
  it('cancels every task token when the signal fires, and never starts waiting tasks', async () => {
    const controller = new AbortController();
    const executor = new BackgroundExecutor({ maxConcurrency: 1, signal: controller.signal });
    const tokens: CancellationToken[] = [];
    const running = executor.submit((token) => {
      tokens.push(token);
      return untilCancelled(token);
    });
    const waitingFn = vi.fn();
    const waiting = executor.submit(waitingFn);
    controller.abort(new Error('shutdown'));
    expect(tokens[0]?.isCancelled).toBe(true);
    expect(isCancellation((await outcome(running)).error)).toBe(true);
    expect(isCancellation((await outcome(waiting)).error)).toBe(true);
    expect(waitingFn).not.toHaveBeenCalled();
    await expect(executor.close()).resolves.toBeUndefined();
  });

  it('never starts tasks submitted after the signal fired', async () => {
    const source = new CancellationSource();
    source.cancel('gone');
    const executor = new BackgroundExecutor({ signal: source.token });
    const fn = vi.fn();
    const { error } = await outcome(executor.submit(fn));
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe('gone');
    expect(fn).not.toHaveBeenCalled();
    await executor.close();
  });

  it('removes its abort listener once closed', async () => {
    const controller = new AbortController();
    const executor = new BackgroundExecutor({ signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    executor.submit(() => Promise.resolve());
    await executor.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a signal that is neither an AbortSignal nor a CancellationToken', () => {
    expect(() => new BackgroundExecutor({ signal: 'soon' as never })).toThrow(TypeError);
  });
});

describe('BackgroundExecutor.run', () => {
  it('returns what the body returned after every task has settled', async () => {
    const finished = vi.fn();
    const result = await BackgroundExecutor.run(async (submit) => {
      submit(async () => {
        await flush();
        finished();
      });
      return 'report';
    });
    expect(result).toBe('report');
    expect(finished).toHaveBeenCalled();
  });

  it("throws the body's error, not a task's, after every task has settled", async () => {
    const bodyError = new Error('body');
    const finished = vi.fn();
    const { error } = await outcome(
      BackgroundExecutor.run(async (submit) => {
        submit(async () => {
          await flush();
          finished();
          throw new Error('task');
        });
        await Promise.resolve();
        throw bodyError;
      }),
    );
    expect(error).toBe(bodyError);
    expect(finished).toHaveBeenCalled();
  });

  it("throws a task's failure when the body succeeds", async () => {
    const failure = new Error('task');
    await expect(
      BackgroundExecutor.run((submit) => {
        submit(() => Promise.reject(failure));
      }),
    ).rejects.toBe(failure);
  });

  it('gives the body a token that the signal cancels', async () => {
    const controller = new AbortController();
    await BackgroundExecutor.run(
      (submit, token) => {
        expect(token.isCancelled).toBe(false);
        controller.abort();
        expect(token.isCancelled).toBe(true);
        expect(() => submit(() => 1)).not.toThrow();
      },
      { signal: controller.signal, maxConcurrency: 2 },
    );
  });
});

describe('BackgroundExecutor input checks', () => {
  it('throws TypeError at the call that received a bad argument', () => {
    const executor = new BackgroundExecutor();
    expect(() => executor.submit('nope' as never)).toThrow('Expected `fn` to be a function, got `"nope"` (string)');
    expect(() => executor.submit(() => 1, { name: 7 as never })).toThrow(
      'Expected `name` to be a string, got `7` (number)',
    );
    expect(() => executor.submit(() => 1, { cancelOnExit: 'yes' as never })).toThrow(
      'Expected `cancelOnExit` to be a boolean, got `"yes"` (string)',
    );
    expect(() => executor.submit(() => 1, { reraiseOnExit: 1 as never })).toThrow(TypeError);
    expect(() => executor.submit(() => 1, { nextTick: null as never })).toThrow(TypeError);
    expect(() => BackgroundExecutor.run(42 as never)).toThrow('Expected `body` to be a function');
    expect(() => executor.submit(() => 1, 5 as never)).toThrow('Expected `options` to be an object, got `5` (number)');
    expect(() => new BackgroundExecutor(null as never)).toThrow('Expected `options` to be an object, got `null` (null)');
  });
});
