import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { CancellationSource, CancellationToken, CancelledError } from '@x/core';
import { ClosedError, WorkerPool } from '@x/worker-pool';
import { deferred, gate, settle, track } from './helpers.js';

describe('WorkerPool: input validation', () => {
  it('throws a RangeError naming `concurrency` for a non-positive or fractional limit', () => {
    expect(() => new WorkerPool({ concurrency: 0 })).toThrow(RangeError);
    expect(() => new WorkerPool({ concurrency: 0 })).toThrow('Expected `concurrency` to be an integer from 1 and up, got `0` (number)');
    expect(() => new WorkerPool({ concurrency: 1.5 })).toThrow(RangeError);
    expect(() => new WorkerPool({ concurrency: Number.NaN })).toThrow(RangeError);
  });

  it('throws a TypeError for a concurrency that is not a number, or missing options', () => {
    expect(() => new WorkerPool({ concurrency: '2' as never })).toThrow(TypeError);
    expect(() => new WorkerPool(undefined as never)).toThrow('Expected `options` to be an object, got `undefined` (undefined)');
  });

  it('accepts Infinity as concurrency and as maxQueue', () => {
    const pool = new WorkerPool({ concurrency: Infinity, maxQueue: Infinity });
    expect(pool.concurrency).toBe(Infinity);
  });

  it('throws a RangeError naming `maxQueue` for a queue bound below 1', () => {
    expect(() => new WorkerPool({ concurrency: 1, maxQueue: 0 })).toThrow('Expected `maxQueue` to be an integer from 1 and up, got `0` (number)');
    expect(() => new WorkerPool({ concurrency: 1, maxQueue: -3 })).toThrow(RangeError);
  });

  it('throws a TypeError naming `signal` for a signal that is neither an AbortSignal nor a token', () => {
    expect(() => new WorkerPool({ concurrency: 1, signal: {} as never })).toThrow(/`signal`/);
  });

  it('throws synchronously from submit for a non-function job, a bad priority or a bad signal', () => {
    const pool = new WorkerPool({ concurrency: 1 });
    expect(() => pool.submit(42 as never)).toThrow('Expected `job` to be a function, got `42` (number)');
    expect(() => pool.submit(() => 1, { priority: Number.NaN })).toThrow(RangeError);
    expect(() => pool.submit(() => 1, { priority: Infinity })).toThrow('Expected `priority` to be a finite number, got `Infinity` (number)');
    expect(() => pool.submit(() => 1, { priority: '1' as never })).toThrow(TypeError);
    expect(() => pool.submit(() => 1, { signal: 'no' as never })).toThrow(TypeError);
    expect(pool.running).toBe(0);
  });

  it('throws synchronously for a bad concurrency set at run time and keeps the old one', () => {
    const pool = new WorkerPool({ concurrency: 2 });
    expect(() => (pool.concurrency = 0)).toThrow(RangeError);
    expect(pool.concurrency).toBe(2);
  });

  it('throws a TypeError naming `drain` when close gets a non-boolean', () => {
    const pool = new WorkerPool({ concurrency: 1 });
    expect(() => pool.close({ drain: 'yes' as never })).toThrow('Expected `drain` to be a boolean, got `"yes"` (string)');
  });
});

describe('WorkerPool: running jobs', () => {
  it('resolves with what the job returns and passes it a CancellationToken', async () => {
    const pool = new WorkerPool({ concurrency: 2 });
    let received: unknown;
    const value = await pool.submit(async (token) => {
      received = token;
      return 'done';
    });
    expect(value).toBe('done');
    expect(CancellationToken.is(received)).toBe(true);
  });

  it('runs at most `concurrency` jobs at once and counts queued and running jobs', async () => {
    const pool = new WorkerPool({ concurrency: 2 });
    const gates = [gate(), gate(), gate(), gate()];
    const results = gates.map((g) => track(pool.submit(g.job)));
    expect(pool.running).toBe(2);
    expect(pool.size).toBe(2);
    expect(gates.map((g) => g.started())).toEqual([true, true, false, false]);
    gates[0]!.release();
    await settle();
    expect(gates[2]!.started()).toBe(true);
    expect(pool.running).toBe(2);
    expect(pool.size).toBe(1);
    for (const g of gates) g.release();
    await pool.onIdle();
    expect(results.every((r) => r.state === 'fulfilled')).toBe(true);
    expect(pool.running).toBe(0);
    expect(pool.size).toBe(0);
  });

  it('rejects with the error of a job that throws synchronously, and keeps running', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const boom = new Error('boom');
    await expect(
      pool.submit(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(pool.running).toBe(0);
    await expect(pool.submit(() => 7)).resolves.toBe(7);
  });

  it('handles a queued job that throws synchronously like any other failure', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const failing = pool.submit(() => {
      throw new TypeError('sync');
    });
    const after = pool.submit(() => 'after');
    blocker.release();
    await expect(failing).rejects.toThrow('sync');
    await expect(after).resolves.toBe('after');
  });

  it('resolves with a plain (non-promise) return value and with a thenable', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    await expect(pool.submit(() => 3)).resolves.toBe(3);
    const thenable = {
      then(resolve: (value: string) => void) {
        resolve('from thenable');
      },
    } as unknown as PromiseLike<string>;
    await expect(pool.submit(() => thenable)).resolves.toBe('from thenable');
  });

  it('rejects with exactly what a job rejects with, also a non-Error, and keeps running', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const direct = pool.submit(() => Promise.reject('a string'));
    const queued = pool.submit(() => Promise.reject(undefined));
    blocker.release();
    await expect(direct).rejects.toBe('a string');
    await expect(queued).rejects.toBeUndefined();
    await expect(pool.submit(async () => 'still running')).resolves.toBe('still running');
  });

  it('runs a job submitted by a running job', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const inner = await pool.submit(() => ({ nested: pool.submit(() => 'inner') }));
    await expect(inner.nested).resolves.toBe('inner');
  });
});

describe('WorkerPool: priorities', () => {
  it('starts higher priorities first and keeps FIFO order within a priority', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const order: string[] = [];
    const submit = (name: string, priority?: number) =>
      pool.submit(
        () => {
          order.push(name);
        },
        priority === undefined ? undefined : { priority },
      );
    const all = [
      submit('a0'),
      submit('b-1', -1),
      submit('c5', 5),
      submit('d0'),
      submit('e0.5', 0.5),
      submit('f5', 5),
      submit('g-1', -1),
      submit('h1e9', 1e9),
    ];
    blocker.release();
    await Promise.all(all);
    expect(order).toEqual(['h1e9', 'c5', 'f5', 'e0.5', 'a0', 'd0', 'b-1', 'g-1']);
  });

  it('keeps the order right when a priority empties and comes back', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    pool.pause();
    const order: number[] = [];
    const push = (priority: number) => pool.submit(() => void order.push(priority), { priority });
    const jobs = [push(1), push(3), push(2)];
    pool.resume();
    await Promise.all(jobs);
    pool.pause();
    const more = [push(2), push(1), push(3), push(3), push(-2)];
    pool.resume();
    await Promise.all(more);
    expect(order).toEqual([3, 2, 1, 3, 3, 2, 1, -2]);
  });

  it('treats -0 and 0 as the same priority', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    pool.pause();
    const order: string[] = [];
    const jobs = [pool.submit(() => void order.push('zero'), { priority: 0 }), pool.submit(() => void order.push('minus zero'), { priority: -0 })];
    pool.resume();
    await Promise.all(jobs);
    expect(order).toEqual(['zero', 'minus zero']);
  });
});

describe('WorkerPool: cancellation of one job', () => {
  it('removes a queued job whose signal fires: it never runs and rejects with CancelledError', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const controller = new AbortController();
    const ran = vi.fn();
    const job = track(pool.submit(ran, { signal: controller.signal }));
    expect(pool.size).toBe(1);
    const reason = new Error('changed my mind');
    controller.abort(reason);
    expect(pool.size).toBe(0);
    await settle();
    expect(job.state).toBe('rejected');
    expect(CancelledError.is(job.value)).toBe(true);
    expect((job.value as Error).cause).toBe(reason);
    blocker.release();
    await pool.onIdle();
    expect(ran).not.toHaveBeenCalled();
  });

  it('rejects at once and starts nothing when the signal has already fired', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const ran = vi.fn();
    const reason = new Error('already');
    const result = pool.submit(ran, { signal: AbortSignal.abort(reason) });
    await expect(result).rejects.toBeInstanceOf(CancelledError);
    await expect(result).rejects.toMatchObject({ cause: reason });
    expect(ran).not.toHaveBeenCalled();
    expect(pool.running).toBe(0);
  });

  it('cancels the token of a running job whose signal fires, and settles with what the job then does', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const source = new CancellationSource();
    const result = pool.submit(
      (token) =>
        new Promise<string>((resolve) => {
          token.onCancel((reason) => {
            resolve(`stopped: ${String(reason)}`);
          });
        }),
      { signal: source.token },
    );
    await settle();
    expect(pool.running).toBe(1);
    source.cancel('enough');
    await expect(result).resolves.toBe('stopped: enough');
    expect(pool.running).toBe(0);
  });

  it('gives a job started with a signal its own token, not cancelled by other jobs', async () => {
    const pool = new WorkerPool({ concurrency: 2 });
    const a = new AbortController();
    const first = gate();
    const second = gate();
    void pool.submit(first.job, { signal: a.signal });
    void pool.submit(second.job, { signal: new AbortController().signal });
    a.abort();
    expect(first.token().isCancelled).toBe(true);
    expect(second.token().isCancelled).toBe(false);
    first.release();
    second.release();
    await pool.onIdle();
  });

  it('starts the next queued job when a queued job before it is cancelled', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const controller = new AbortController();
    const cancelled = track(pool.submit(() => 'x', { signal: controller.signal }));
    const next = pool.submit(() => 'next');
    controller.abort();
    blocker.release();
    await expect(next).resolves.toBe('next');
    expect(cancelled.state).toBe('rejected');
  });

  it('leaves no listener on a long-lived signal once its jobs have settled', async () => {
    const pool = new WorkerPool({ concurrency: 2, maxQueue: 2 });
    const controller = new AbortController();
    const jobs = [];
    for (let i = 0; i < 10; i++) jobs.push(pool.submit(async () => i, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort').length).toBe(1);
    await Promise.all(jobs);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });
});

describe('WorkerPool: maxQueue (backpressure)', () => {
  it('makes submit wait for room when the queue is full, first come first served', async () => {
    const pool = new WorkerPool({ concurrency: 1, maxQueue: 2 });
    const gates = [gate(), gate(), gate(), gate(), gate()];
    const results = gates.map((g, i) => track(pool.submit(g.job, { priority: i })));
    expect(pool.running).toBe(1);
    expect(pool.size).toBe(2);
    gates[0]!.release();
    await settle();
    // Jobs 1 and 2 were accepted; 3 and 4 waited for room. The highest accepted priority runs.
    expect(gates[2]!.started()).toBe(true);
    expect(pool.size).toBe(2);
    gates[2]!.release();
    await settle();
    expect(gates[3]!.started()).toBe(true);
    for (const g of gates) g.release();
    await pool.onIdle();
    expect(results.map((r) => r.state)).toEqual(Array(5).fill('fulfilled'));
  });

  it('never lets the queue grow past maxQueue', async () => {
    const pool = new WorkerPool({ concurrency: 2, maxQueue: 3 });
    let biggest = 0;
    const jobs = [];
    for (let i = 0; i < 50; i++) {
      jobs.push(
        pool.submit(async () => {
          biggest = Math.max(biggest, pool.size);
          await settle();
        }),
      );
      biggest = Math.max(biggest, pool.size);
    }
    await Promise.all(jobs);
    expect(biggest).toBe(3);
  });

  it('lets a waiting submit in when a queued job is cancelled', async () => {
    const pool = new WorkerPool({ concurrency: 1, maxQueue: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const controller = new AbortController();
    const queued = track(pool.submit(() => 'cancelled', { signal: controller.signal }));
    const order: string[] = [];
    const waiting = pool.submit(() => void order.push('waiting'));
    controller.abort();
    expect(pool.size).toBe(1);
    const later = pool.submit(() => void order.push('later'), { priority: 10 });
    blocker.release();
    await Promise.all([waiting, later]);
    expect(queued.state).toBe('rejected');
    expect(order).toEqual(['waiting', 'later']);
  });

  it('removes a submit waiting for room whose signal fires: the job never runs', async () => {
    const pool = new WorkerPool({ concurrency: 1, maxQueue: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    void pool.submit(() => 'queued');
    const controller = new AbortController();
    const ran = vi.fn();
    const waiting = track(pool.submit(ran, { signal: controller.signal }));
    const last = pool.submit(() => 'last');
    controller.abort('nope');
    await settle();
    expect(waiting.state).toBe('rejected');
    expect(CancelledError.is(waiting.value)).toBe(true);
    blocker.release();
    await expect(last).resolves.toBe('last');
    expect(ran).not.toHaveBeenCalled();
  });
});

describe('WorkerPool: concurrency, pause and resume', () => {
  it('starts queued jobs at once when concurrency is raised', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const gates = [gate(), gate(), gate()];
    for (const g of gates) void pool.submit(g.job);
    pool.concurrency = 3;
    expect(gates.every((g) => g.started())).toBe(true);
    expect(pool.running).toBe(3);
    for (const g of gates) g.release();
    await pool.onIdle();
  });

  it('starts no job while more than a lowered concurrency run', async () => {
    const pool = new WorkerPool({ concurrency: 3 });
    const gates = [gate(), gate(), gate(), gate()];
    for (const g of gates) void pool.submit(g.job);
    pool.concurrency = 1;
    gates[0]!.release();
    gates[1]!.release();
    await settle();
    expect(gates[3]!.started()).toBe(false);
    gates[2]!.release();
    await settle();
    expect(gates[3]!.started()).toBe(true);
    expect(pool.running).toBe(1);
    gates[3]!.release();
    await pool.onIdle();
  });

  it('queues submits while paused and starts them on resume', async () => {
    const pool = new WorkerPool({ concurrency: 2 });
    pool.pause();
    expect(pool.isPaused).toBe(true);
    const ran = vi.fn(() => 'ok');
    const result = pool.submit(ran);
    await settle();
    expect(ran).not.toHaveBeenCalled();
    expect(pool.size).toBe(1);
    pool.resume();
    expect(pool.isPaused).toBe(false);
    await expect(result).resolves.toBe('ok');
  });

  it('lets running jobs finish while paused', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate<string>();
    const result = pool.submit(g.job);
    const next = vi.fn();
    void pool.submit(next);
    pool.pause();
    g.release('finished');
    await expect(result).resolves.toBe('finished');
    expect(next).not.toHaveBeenCalled();
    pool.resume();
    await pool.onIdle();
    expect(next).toHaveBeenCalledOnce();
  });
});

describe('WorkerPool: onIdle', () => {
  it('resolves at once when nothing is queued or running', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const idle = track(pool.onIdle());
    await settle();
    expect(idle.state).toBe('fulfilled');
  });

  it('resolves once the queue is empty and nothing runs', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const gates = [gate(), gate()];
    for (const g of gates) void pool.submit(g.job);
    const idle = track(pool.onIdle());
    gates[0]!.release();
    await settle();
    expect(idle.state).toBe('pending');
    gates[1]!.release();
    await settle();
    expect(idle.state).toBe('fulfilled');
  });

  it('does not resolve while a paused pool holds queued jobs', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    pool.pause();
    void pool.submit(() => 1);
    const idle = track(pool.onIdle());
    await settle();
    expect(idle.state).toBe('pending');
    pool.resume();
    await settle();
    expect(idle.state).toBe('fulfilled');
  });

  it('rejects with CancelledError when its signal fires first, leaving no listener', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    void pool.submit(g.job);
    const controller = new AbortController();
    const idle = pool.onIdle({ signal: controller.signal });
    controller.abort('stop waiting');
    await expect(idle).rejects.toMatchObject({ name: 'CancelledError', cause: 'stop waiting' });
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    await expect(pool.onIdle({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    g.release();
    await pool.onIdle();
  });
});

describe('WorkerPool: close({ drain: true })', () => {
  it('runs every accepted job, rejects later submits with ClosedError, then resolves', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const gates = [gate<number>(), gate<number>()];
    const results = gates.map((g) => track(pool.submit(g.job)));
    const closed = track(pool.close());
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(ClosedError);
    gates[0]!.release(1);
    await settle();
    expect(closed.state).toBe('pending');
    gates[1]!.release(2);
    await settle();
    expect(closed.state).toBe('fulfilled');
    expect(results.map((r) => r.value)).toEqual([1, 2]);
  });

  it('resumes a paused pool to drain it', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    pool.pause();
    const result = pool.submit(() => 'drained');
    await pool.close();
    await expect(result).resolves.toBe('drained');
  });

  it('rejects submits still waiting for room with ClosedError, and runs the accepted ones', async () => {
    const pool = new WorkerPool({ concurrency: 1, maxQueue: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const accepted = pool.submit(() => 'accepted');
    const ran = vi.fn();
    const waiting = pool.submit(ran);
    const closed = pool.close();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    blocker.release();
    await closed;
    await expect(accepted).resolves.toBe('accepted');
    expect(ran).not.toHaveBeenCalled();
  });

  it('rejects a job submitted by a running job while the pool drains', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    const nested = pool.submit(async (token) => {
      await g.job(token);
      return pool.submit(() => 'too late');
    });
    const closed = pool.close();
    g.release();
    await expect(nested).rejects.toBeInstanceOf(ClosedError);
    await closed;
  });

  it('ignores pause() once the pool is closing, so that draining ends', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    void pool.submit(g.job);
    const queued = pool.submit(() => 'ran');
    const closed = pool.close();
    pool.pause();
    expect(pool.isPaused).toBe(false);
    g.release();
    await closed;
    await expect(queued).resolves.toBe('ran');
  });

  it('drains through `await using`', async () => {
    const ran = vi.fn();
    {
      await using pool = new WorkerPool({ concurrency: 1 });
      pool.pause();
      void pool.submit(ran);
    }
    expect(ran).toHaveBeenCalledOnce();
  });

  it('returns a promise of the same end on every call', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    void pool.submit(g.job);
    const first = pool.close();
    const second = pool.close();
    expect(second).toBe(first);
    g.release();
    await first;
    await expect(pool.close({ drain: false })).resolves.toBeUndefined();
  });
});

describe('WorkerPool: close({ drain: false })', () => {
  it('rejects queued jobs with ClosedError, cancels running tokens and waits for them', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const running = gate<string>();
    const result = track(pool.submit(running.job));
    const ran = vi.fn();
    const queued = track(pool.submit(ran));
    const closed = track(pool.close({ drain: false }));
    await settle();
    expect(queued.state).toBe('rejected');
    expect(ClosedError.is(queued.value)).toBe(true);
    expect((queued.value as Error).message).toBe('The worker pool was closed before the job started');
    const token = running.token();
    expect(token.isCancelled).toBe(true);
    expect(ClosedError.is(token.reason)).toBe(true);
    expect(closed.state).toBe('pending');
    running.release('finished anyway');
    await settle();
    expect(closed.state).toBe('fulfilled');
    expect(result.value).toBe('finished anyway');
    expect(ran).not.toHaveBeenCalled();
  });

  it('cancels the tokens of running jobs submitted with their own signal too', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    void pool.submit(g.job, { signal: new AbortController().signal });
    const closed = pool.close({ drain: false });
    expect(g.token().isCancelled).toBe(true);
    g.release();
    await closed;
  });

  it('turns a draining close into an aborting one', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    void pool.submit(g.job);
    const queued = pool.submit(() => 'never');
    const draining = pool.close();
    const aborting = pool.close({ drain: false });
    await expect(queued).rejects.toBeInstanceOf(ClosedError);
    expect(g.token().isCancelled).toBe(true);
    g.release();
    await Promise.all([draining, aborting]);
  });

  it('rejects close once every job settled when a cancellation callback of a job throws', async () => {
    const pool = new WorkerPool({ concurrency: 1 });
    const g = gate();
    const bad = new Error('callback failed');
    void pool.submit(async (token) => {
      token.onCancel(() => {
        throw bad;
      });
      await g.job(token);
    });
    const closed = track(pool.close({ drain: false }));
    await settle();
    expect(closed.state).toBe('pending');
    g.release();
    await settle();
    expect(closed.state).toBe('rejected');
    expect(closed.value).toBe(bad);
  });
});

describe('WorkerPool: the pool signal', () => {
  it('closes the pool without draining when it fires, carrying the reason', async () => {
    const controller = new AbortController();
    const pool = new WorkerPool({ concurrency: 1, signal: controller.signal });
    const g = gate();
    void pool.submit(g.job);
    const queued = pool.submit(() => 'never');
    const reason = new Error('shutdown');
    controller.abort(reason);
    await expect(queued).rejects.toMatchObject({ name: 'ClosedError', cause: reason });
    expect(g.token().reason).toBe(reason);
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(ClosedError);
    g.release();
    await pool.close();
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });

  it('reports through close() what a job\'s cancellation callback threw when the signal fired', async () => {
    const controller = new AbortController();
    const pool = new WorkerPool({ concurrency: 1, signal: controller.signal });
    const g = gate();
    const bad = new Error('callback failed');
    void pool.submit(async (token) => {
      token.onCancel(() => {
        throw bad;
      });
      await g.job(token);
    });
    controller.abort();
    g.release();
    await expect(pool.close()).rejects.toBe(bad);
    await expect(pool.close()).rejects.toBe(bad);
  });

  it('starts closed when its signal has already fired', async () => {
    const pool = new WorkerPool({ concurrency: 1, signal: AbortSignal.abort() });
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(ClosedError);
    await pool.close();
  });

  it('removes its listener from the pool signal once closed', async () => {
    const controller = new AbortController();
    const pool = new WorkerPool({ concurrency: 1, signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort').length).toBe(1);
    await pool.close();
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });
});

describe('WorkerPool: async context', () => {
  it('runs a queued job in the AsyncLocalStorage context of its submit call', async () => {
    const storage = new AsyncLocalStorage<string>();
    const pool = new WorkerPool({ concurrency: 1 });
    const blocker = gate();
    void pool.submit(blocker.job);
    const a = storage.run('a', () => pool.submit(() => storage.getStore()));
    const b = storage.run('b', () => pool.submit(() => storage.getStore(), { signal: new AbortController().signal }));
    const none = pool.submit(() => storage.getStore());
    blocker.release();
    expect(await Promise.all([a, b, none])).toEqual(['a', 'b', undefined]);
  });

  it('runs a job that starts at once in the context of its submit call', async () => {
    const storage = new AsyncLocalStorage<number>();
    const pool = new WorkerPool({ concurrency: 1 });
    await expect(storage.run(1, () => pool.submit(async () => storage.getStore()))).resolves.toBe(1);
  });
});

describe('ClosedError', () => {
  it('has its name, a default message, a cause and a brand that works across copies', () => {
    const error = new ClosedError(undefined, { cause: 'why' });
    expect(error.name).toBe('ClosedError');
    expect(error.message).toBe('The worker pool is closed');
    expect(error.cause).toBe('why');
    expect(ClosedError.is(error)).toBe(true);
    expect(ClosedError.is(new Error('x'))).toBe(false);
    expect(ClosedError.is(null)).toBe(false);
    expect(ClosedError.is({ [Symbol.for('@x/worker-pool/ClosedError')]: true })).toBe(true);
  });
});

describe('WorkerPool: nothing lost', () => {
  it('settles every promise when jobs fail, get cancelled and the pool closes at random points', async () => {
    const pool = new WorkerPool({ concurrency: 3, maxQueue: 4 });
    const controllers: AbortController[] = [];
    const results = [];
    for (let i = 0; i < 30; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      const d = deferred<number>();
      results.push(
        track(
          pool.submit(
            async (token) => {
              token.onCancel(() => {
                d.reject(new Error('cancelled'));
              });
              if (i % 7 === 0) throw new Error('fail');
              await settle();
              d.resolve(i);
              return d.promise;
            },
            { signal: controller.signal, priority: i % 3 },
          ),
        ),
      );
      if (i % 5 === 0) controllers[i - 1]?.abort();
    }
    await settle();
    await pool.close({ drain: false });
    await settle();
    expect(results.filter((r) => r.state === 'pending')).toEqual([]);
  });
});
