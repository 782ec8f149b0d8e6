import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BubbleUp, CancellationSource, CancelledError, isCancellation, type CancellationToken } from '@x/core';
import { ClosedError, TaskGroup, TaskGroupError, type Task } from '../src/index.js';

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

/** Resolves once `token` is cancelled, with a CancelledError to throw. */
function cancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    token.onCancel(() => {
      reject(new CancelledError('stopped', { cause: token.reason }));
    });
  });
}

async function caught(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TaskGroup.run', () => {
  it('returns the body value once every task has settled', async () => {
    const finished: number[] = [];
    const result = await TaskGroup.run(async (tg) => {
      for (let i = 0; i < 3; i++) {
        tg.spawn(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          finished.push(i);
        });
      }
      return 'body';
    });
    expect(result).toBe('body');
    expect(finished).toEqual([0, 1, 2]);
  });

  it('gives tasks their values through the task handle', async () => {
    const sum = await TaskGroup.run(async (tg) => {
      const a = tg.spawn(async () => 1, { name: 'a' });
      const b = tg.spawn(() => 2);
      expect(a.name).toBe('a');
      expect(b.name).toBeUndefined();
      return (await a) + (await b);
    });
    expect(sum).toBe(3);
  });

  it('awaits tasks spawned while the body is returning normally', async () => {
    const late = deferred();
    let lateDone = false;
    const outcome = TaskGroup.run((tg) => {
      tg.spawn(async () => {
        await Promise.resolve();
        tg.spawn(async () => {
          await late.promise;
          lateDone = true;
        });
      });
      return 'done';
    });
    await new Promise((resolve) => setImmediate(resolve));
    let settled = false;
    void outcome.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    late.resolve();
    await expect(outcome).resolves.toBe('done');
    expect(lateDone).toBe(true);
  });

  it('cancels every sibling token and the body token on the first failure', async () => {
    const tokens: CancellationToken[] = [];
    let bodyToken: CancellationToken | undefined;
    const boom = new Error('boom');
    const error = await caught(
      TaskGroup.run(async (tg, token) => {
        bodyToken = token;
        for (let i = 0; i < 3; i++) {
          tg.spawn(async (t) => {
            tokens.push(t);
            await cancelled(t);
          });
        }
        tg.spawn(async () => {
          await Promise.resolve();
          throw boom;
        });
        await cancelled(token);
      }),
    );
    expect(TaskGroupError.is(error)).toBe(true);
    expect((error as TaskGroupError).errors).toEqual([boom]);
    expect(tokens).toHaveLength(3);
    for (const t of tokens) expect(t.isCancelled).toBe(true);
    expect(bodyToken?.isCancelled).toBe(true);
    expect(isCancellation(bodyToken?.reason)).toBe(true);
    expect((bodyToken?.reason as Error).cause).toBe(boom);
  });

  it('waits until every task has settled before it throws', async () => {
    const slow = deferred();
    let slowDone = false;
    const outcome = TaskGroup.run((tg) => {
      tg.spawn(async () => {
        await slow.promise; // ignores cancellation on purpose
        slowDone = true;
      });
      tg.spawn(() => {
        throw new Error('boom');
      });
    });
    let settled = false;
    outcome.catch(() => undefined).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    slow.resolve();
    await expect(outcome).rejects.toBeInstanceOf(TaskGroupError);
    expect(slowDone).toBe(true);
  });

  it('throws TaskGroupError with every failure in the order they happened, cancellations left out', async () => {
    const first = new Error('first');
    const second = new Error('second');
    const error = await caught(
      TaskGroup.run((tg) => {
        tg.spawn(async (token) => {
          await cancelled(token);
        });
        tg.spawn(async (token) => {
          await cancelled(token).catch(() => undefined);
          throw second; // a failure raised while being cancelled
        });
        tg.spawn(async () => {
          await Promise.resolve();
          throw first;
        });
      }),
    );
    expect(error).toBeInstanceOf(TaskGroupError);
    expect(error).toBeInstanceOf(AggregateError);
    const groupError = error as TaskGroupError;
    expect(groupError.name).toBe('TaskGroupError');
    expect(groupError.errors).toEqual([first, second]);
    expect(groupError.cause).toBe(first);
    expect(groupError.message).toContain('2 tasks failed');
    expect(groupError.message).toContain('first');
  });

  it('counts the body throw as a failure and cancels the tasks', async () => {
    const boom = new Error('body');
    let childToken: CancellationToken | undefined;
    const error = await caught(
      TaskGroup.run(async (tg) => {
        tg.spawn(async (token) => {
          childToken = token;
          await cancelled(token);
        });
        await Promise.resolve();
        throw boom;
      }),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
    expect(childToken?.isCancelled).toBe(true);
  });

  it('reports a failure once when the body re-throws the error of a task it awaited', async () => {
    const boom = new Error('boom');
    const error = await caught(
      TaskGroup.run(async (tg) => {
        const task = tg.spawn(async () => {
          await Promise.resolve();
          throw boom;
        });
        await task;
      }),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
  });

  it('re-throws a BubbleUp from a task unwrapped, after all settled, over ordinary failures', async () => {
    class Interrupt extends BubbleUp {}
    const interrupt = new Interrupt('interrupt');
    const slow = deferred();
    let slowDone = false;
    const outcome = TaskGroup.run((tg) => {
      tg.spawn(async () => {
        await slow.promise;
        slowDone = true;
        throw interrupt;
      });
      tg.spawn(() => {
        throw new Error('plain failure');
      });
    });
    outcome.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    slow.resolve();
    await expect(outcome).rejects.toBe(interrupt);
    expect(slowDone).toBe(true);
  });

  it('re-throws a BubbleUp from the body unwrapped and cancels the tasks', async () => {
    const interrupt = new BubbleUp('stop');
    let childToken: CancellationToken | undefined;
    await expect(
      TaskGroup.run(async (tg) => {
        tg.spawn(async (token) => {
          childToken = token;
          await cancelled(token);
        });
        await Promise.resolve();
        throw interrupt;
      }),
    ).rejects.toBe(interrupt);
    expect(childToken?.isCancelled).toBe(true);
  });

  it('cancels every task when its signal fires and throws CancelledError with the reason as cause', async () => {
    const controller = new AbortController();
    const tokens: CancellationToken[] = [];
    const outcome = TaskGroup.run(
      async (tg, token) => {
        for (let i = 0; i < 2; i++) {
          tg.spawn(async (t) => {
            tokens.push(t);
            await fetchLike(t.signal);
          });
        }
        await cancelled(token);
      },
      { signal: controller.signal },
    );
    await Promise.resolve();
    const reason = new Error('user left');
    controller.abort(reason);
    const error = await caught(outcome);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe(reason);
    for (const t of tokens) expect(t.isCancelled).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('reports a real failure rather than CancelledError when its signal fired', async () => {
    const controller = new AbortController();
    const boom = new Error('cleanup failed');
    const outcome = TaskGroup.run(
      (tg) => {
        tg.spawn(async (token) => {
          await cancelled(token).catch(() => undefined);
          throw boom;
        });
      },
      { signal: controller.signal },
    );
    controller.abort();
    const error = await caught(outcome);
    expect((error as TaskGroupError).errors).toEqual([boom]);
  });

  it('throws CancelledError when its signal fires even if the body ignores it and returns', async () => {
    const source = new CancellationSource();
    const outcome = TaskGroup.run(
      async () => {
        source.cancel('why');
        await Promise.resolve();
        return 'ignored';
      },
      { signal: source.token },
    );
    const error = await caught(outcome);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe('why');
  });

  it('rejects with CancelledError and calls nothing when its signal is already aborted', async () => {
    const body = vi.fn();
    const error = await caught(TaskGroup.run(body, { signal: AbortSignal.abort('early') }));
    expect(CancelledError.is(error)).toBe(true);
    expect((error as Error).cause).toBe('early');
    expect(body).not.toHaveBeenCalled();
  });

  it('throws ClosedError from spawn once the group has finished', async () => {
    let group: TaskGroup | undefined;
    await TaskGroup.run((tg) => {
      group = tg;
    });
    expect(() => group?.spawn(() => 1)).toThrow(ClosedError);
    const error = (() => {
      try {
        group?.spawn(() => 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(ClosedError.is(error)).toBe(true);
    expect((error as Error).name).toBe('ClosedError');
  });

  it('never calls fn spawned on a failing group and rejects its task with CancelledError', async () => {
    const fn = vi.fn();
    let refused: Task<unknown> | undefined;
    const error = await caught(
      TaskGroup.run(async (tg) => {
        tg.spawn(() => {
          throw new Error('boom');
        });
        refused = tg.spawn(fn);
        await Promise.resolve();
      }),
    );
    expect(error).toBeInstanceOf(TaskGroupError);
    expect(fn).not.toHaveBeenCalled();
    const taskError = await caught(refused as Task<unknown>);
    expect(CancelledError.is(taskError)).toBe(true);
  });

  it('fails the group, without hanging, when a task throws synchronously', async () => {
    const boom = new Error('sync');
    const error = await caught(
      TaskGroup.run((tg) => {
        tg.spawn(() => {
          throw boom;
        });
      }),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
  });

  it('does not hang when a task cancels the group while being spawned', async () => {
    const controller = new AbortController();
    const error = await caught(
      TaskGroup.run(
        (tg) => {
          tg.spawn((token) => {
            controller.abort();
            expect(token.isCancelled).toBe(true);
            return 1;
          });
          tg.spawn(() => 2);
        },
        { signal: controller.signal },
      ),
    );
    expect(CancelledError.is(error)).toBe(true);
  });

  it('does not count a task that ends with its own cancellation as a failure', async () => {
    const result = await TaskGroup.run((tg) => {
      tg.spawn(() => {
        throw new DOMException('aborted', 'AbortError');
      });
      tg.spawn(async () => {
        await Promise.resolve();
        throw new CancelledError();
      });
      const ok = tg.spawn(async () => 'ok');
      return ok;
    });
    expect(result).toBe('ok');
  });

  it('cancels the tasks and re-throws when the body ends with a cancellation', async () => {
    const own = new CancelledError('body gave up');
    let childToken: CancellationToken | undefined;
    await expect(
      TaskGroup.run(async (tg) => {
        tg.spawn(async (token) => {
          childToken = token;
          await cancelled(token);
        });
        await Promise.resolve();
        throw own;
      }),
    ).rejects.toBe(own);
    expect(childToken?.isCancelled).toBe(true);
  });

  it('reports a cancellation callback that throws as a failure', async () => {
    const callbackError = new Error('callback');
    const boom = new Error('boom');
    const error = await caught(
      TaskGroup.run((tg) => {
        tg.spawn(async (token) => {
          token.onCancel(() => {
            throw callbackError;
          });
          await cancelled(token);
        });
        tg.spawn(() => {
          throw boom;
        });
      }),
    );
    expect((error as TaskGroupError).errors).toEqual([boom, callbackError]);
  });

  it('runs 100 000 tasks in one group without overflowing the stack', async () => {
    let done = 0;
    await TaskGroup.run((tg) => {
      for (let i = 0; i < 100_000; i++) {
        tg.spawn(() => {
          done++;
        });
      }
    });
    await TaskGroup.run(
      (tg) => {
        for (let i = 0; i < 100_000; i++) {
          tg.spawn(async () => {
            done++;
          });
        }
      },
      { maxConcurrency: 4 },
    );
    expect(done).toBe(200_000);
  });

  it('runs a task in the async context of its spawn call even when it waits for a slot', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const gate = deferred();
    await TaskGroup.run(
      (tg) => {
        storage.run('first', () => tg.spawn(() => gate.promise));
        storage.run('second', () =>
          tg.spawn(() => {
            seen.push(storage.getStore());
          }),
        );
        setImmediate(gate.resolve);
      },
      { maxConcurrency: 1 },
    );
    expect(seen).toEqual(['second']);
  });
});

describe('Task', () => {
  it('resolves a task awaited while it waits for a slot with its value once it ran', async () => {
    const gate = deferred();
    const result = await TaskGroup.run(
      async (tg) => {
        tg.spawn(() => gate.promise);
        const queued = tg.spawn(async () => 'queued value');
        const awaited = queued.then((value) => value.toUpperCase());
        gate.resolve();
        return awaited;
      },
      { maxConcurrency: 1 },
    );
    expect(result).toBe('QUEUED VALUE');
  });

  it('rejects a task awaited while it waits for a slot with CancelledError when the group fails', async () => {
    const gate = deferred();
    let queuedError: unknown;
    const error = await caught(
      TaskGroup.run(
        (tg) => {
          tg.spawn(async () => {
            await gate.promise;
            throw new Error('boom');
          });
          tg.spawn(() => 1).catch((e: unknown) => {
            queuedError = e;
          });
          gate.resolve();
        },
        { maxConcurrency: 1 },
      ),
    );
    expect(error).toBeInstanceOf(TaskGroupError);
    expect(CancelledError.is(queuedError)).toBe(true);
  });

  it('follows a thenable that is not a promise, and supports catch and finally', async () => {
    let finallyRan = false;
    const value = await TaskGroup.run(async (tg) => {
      const thenable: PromiseLike<number> = {
        then(onFulfilled) {
          return Promise.resolve(7).then(onFulfilled);
        },
      };
      const task = tg.spawn(() => thenable);
      const failing = tg.spawn(() => Promise.reject(new CancelledError()));
      await failing.catch(() => undefined);
      await task.finally(() => (finallyRan = true));
      expect(Object.prototype.toString.call(task)).toBe('[object Task]');
      return task;
    });
    expect(value).toBe(7);
    expect(finallyRan).toBe(true);
  });
});

describe('nested groups', () => {
  it('sees an inner failure as one failure of the outer group', async () => {
    const inner = [new Error('a'), new Error('b')];
    const error = await caught(
      TaskGroup.run((outer) => {
        outer.spawn((token) =>
          TaskGroup.run(
            (tg) => {
              for (const e of inner) {
                tg.spawn(async () => {
                  await Promise.resolve();
                  throw e;
                });
              }
            },
            { signal: token },
          ),
        );
      }),
    );
    const outerErrors = (error as TaskGroupError).errors;
    expect(outerErrors).toHaveLength(1);
    expect(TaskGroupError.is(outerErrors[0])).toBe(true);
    expect((outerErrors[0] as TaskGroupError).errors).toEqual(inner);
  });

  it('cancels an inner group when the outer one fails, without counting its cancellation', async () => {
    const boom = new Error('outer');
    let innerToken: CancellationToken | undefined;
    const error = await caught(
      TaskGroup.run((outer) => {
        outer.spawn((token) =>
          TaskGroup.run(
            (tg) => {
              tg.spawn(async (t) => {
                innerToken = t;
                await cancelled(t);
              });
            },
            { signal: token },
          ),
        );
        outer.spawn(async () => {
          await Promise.resolve();
          throw boom;
        });
      }),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
    expect(innerToken?.isCancelled).toBe(true);
  });
});

describe('maxConcurrency', () => {
  it('runs at most that many tasks at once and starts the rest in FIFO order', async () => {
    vi.useFakeTimers();
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const outcome = TaskGroup.run(
      (tg) => {
        for (let i = 0; i < 10; i++) {
          tg.spawn(async () => {
            started.push(i);
            running++;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, 10 * (10 - i)));
            running--;
          });
        }
      },
      { maxConcurrency: 3 },
    );
    expect(started).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('never starts waiting tasks once the group fails', async () => {
    const startedAfter: number[] = [];
    const gate = deferred();
    let waiting: Task<unknown> | undefined;
    const error = await caught(
      TaskGroup.run(
        (tg) => {
          tg.spawn(async () => {
            await gate.promise;
            throw new Error('boom');
          });
          waiting = tg.spawn(() => startedAfter.push(1));
          tg.spawn(() => startedAfter.push(2));
          setImmediate(gate.resolve);
        },
        { maxConcurrency: 1 },
      ),
    );
    expect(error).toBeInstanceOf(TaskGroupError);
    expect(startedAfter).toEqual([]);
    expect(CancelledError.is(await caught(waiting as Task<unknown>))).toBe(true);
  });

  it('never starts waiting tasks when its signal fires', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const outcome = TaskGroup.run(
      (tg) => {
        tg.spawn(async (token) => {
          started.push(0);
          await cancelled(token);
        });
        tg.spawn(() => started.push(1));
      },
      { maxConcurrency: 1, signal: controller.signal },
    );
    await Promise.resolve();
    controller.abort();
    expect(CancelledError.is(await caught(outcome))).toBe(true);
    expect(started).toEqual([0]);
  });

  it('never starts a woken waiter whose group is cancelled before it resumes', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const first = deferred();
    const outcome = TaskGroup.run(
      (tg) => {
        tg.spawn(() => {
          started.push(0);
          return first.promise;
        });
        tg.spawn(() => started.push(1));
        tg.spawn(() => started.push(2));
        // Runs right after the group saw the first task settle and woke the second one, before
        // the second one resumes.
        void first.promise.then(() => {
          controller.abort();
        });
      },
      { maxConcurrency: 1, signal: controller.signal },
    );
    first.resolve();
    expect(CancelledError.is(await caught(outcome))).toBe(true);
    expect(started).toEqual([0]);
  });

  it('starts tasks spawned later in spawn order as slots free up', async () => {
    const started: number[] = [];
    const first = deferred();
    await TaskGroup.run(
      async (tg) => {
        tg.spawn(() => first.promise);
        tg.spawn(() => started.push(1));
        first.resolve();
        await new Promise((resolve) => setImmediate(resolve));
        tg.spawn(() => started.push(2));
        tg.spawn(() => started.push(3));
      },
      { maxConcurrency: 1 },
    );
    expect(started).toEqual([1, 2, 3]);
  });
});

describe('await using', () => {
  it('waits for every task when the block ends and throws what the group reports', async () => {
    const boom = new Error('boom');
    let slowDone = false;
    const error = await caught(
      (async () => {
        await using tg = new TaskGroup();
        tg.spawn(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          slowDone = true;
        });
        tg.spawn(async () => {
          await Promise.resolve();
          throw boom;
        });
      })(),
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
    expect(slowDone).toBe(true);
  });

  it('returns the same outcome when disposed twice', async () => {
    const tg = new TaskGroup();
    tg.spawn(() => 1);
    const first = tg[Symbol.asyncDispose]();
    expect(tg[Symbol.asyncDispose]()).toBe(first);
    await first;
    expect(() => tg.spawn(() => 1)).toThrow(ClosedError);
  });

  it('throws CancelledError when created with an aborted signal and never starts a task', async () => {
    const fn = vi.fn();
    const error = await caught(
      (async () => {
        await using tg = new TaskGroup({ signal: AbortSignal.abort() });
        expect(tg.token.isCancelled).toBe(true);
        tg.spawn(fn).then(undefined, () => undefined);
      })(),
    );
    expect(CancelledError.is(error)).toBe(true);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('input validation', () => {
  it('throws RangeError naming maxConcurrency for a non-positive or fractional limit', () => {
    expect(() => new TaskGroup({ maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => new TaskGroup({ maxConcurrency: 0 })).toThrow('`maxConcurrency`');
    expect(() => new TaskGroup({ maxConcurrency: 1.5 })).toThrow('`1.5`');
    expect(() => new TaskGroup({ maxConcurrency: '2' as unknown as number })).toThrow(TypeError);
    expect(() => new TaskGroup({ maxConcurrency: Infinity })).not.toThrow();
  });

  it('throws TypeError synchronously for a body, fn, name or signal of the wrong type', async () => {
    expect(() => TaskGroup.run(42 as never)).toThrow(/`body`.*`42` \(number\)/);
    expect(() => new TaskGroup({ signal: 'nope' as never })).toThrow(TypeError);
    await TaskGroup.run((tg) => {
      expect(() => tg.spawn(null as never)).toThrow(/`fn`/);
      expect(() => tg.spawn(() => 1, { name: 3 as never })).toThrow(/`name`/);
    });
  });
});

/** Rejects with the signal's reason as soon as it aborts, like `fetch`. */
function fetchLike(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    signal.addEventListener(
      'abort',
      () => {
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
