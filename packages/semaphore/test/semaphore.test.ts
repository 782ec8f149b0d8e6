import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { CancellationSource, CancellationToken, CancelledError, TimeoutError, isCancellation } from '@x/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError, Permit, Semaphore } from '@x/semaphore';
import { observe, ticks } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Semaphore: acquiring and releasing', () => {
  it('resolves acquire at once while permits are free and counts them down', async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire();
    expect(semaphore.available).toBe(1);
    const b = await semaphore.acquire();
    expect(semaphore.available).toBe(0);
    expect(a.weight).toBe(1);
    a.release();
    b.release();
    expect(semaphore.available).toBe(2);
    expect(semaphore.capacity).toBe(2);
  });

  it('queues acquire when no permit is free and hands the released permit straight to it', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const waiter = observe(semaphore.acquire());
    await ticks();
    expect(waiter.state).toBe('pending');
    expect(semaphore.waiting).toBe(1);
    held.release();
    expect(semaphore.available).toBe(0);
    expect(semaphore.waiting).toBe(0);
    await ticks();
    expect(waiter.state).toBe('fulfilled');
    waiter.value!.release();
    expect(semaphore.available).toBe(1);
  });

  it('serves waiters strictly in the order they arrived', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const order: number[] = [];
    const done = [1, 2, 3, 4].map(async (n) => {
      const permit = await semaphore.acquire();
      order.push(n);
      await ticks(2);
      permit.release();
    });
    held.release();
    await Promise.all(done);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('does not let a light waiter overtake a heavy waiter at the head of the queue', async () => {
    const semaphore = new Semaphore(3);
    const held = semaphore.tryAcquire(2)!;
    const heavy = observe(semaphore.acquire({ weight: 3 }));
    const light = observe(semaphore.acquire({ weight: 1 }));
    await ticks();
    expect(semaphore.available).toBe(1);
    expect(heavy.state).toBe('pending');
    expect(light.state).toBe('pending');
    held.release();
    await ticks();
    expect(heavy.state).toBe('fulfilled');
    expect(light.state).toBe('pending');
    heavy.value!.release();
    await ticks();
    expect(light.state).toBe('fulfilled');
    light.value!.release();
    expect(semaphore.available).toBe(3);
  });

  it('wakes every waiter that fits when permits come back', async () => {
    const semaphore = new Semaphore(3);
    const held = semaphore.tryAcquire(3)!;
    const waiters = [1, 1, 1].map((weight) => observe(semaphore.acquire({ weight })));
    held.release();
    await ticks();
    expect(waiters.map((w) => w.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    for (const w of waiters) w.value!.release();
    expect(semaphore.available).toBe(3);
  });

  it('does not let tryAcquire jump over waiters', async () => {
    const semaphore = new Semaphore(2);
    const held = semaphore.tryAcquire(1)!;
    const waiter = observe(semaphore.acquire({ weight: 2 }));
    expect(semaphore.available).toBe(1);
    expect(semaphore.tryAcquire(1)).toBeUndefined();
    held.release();
    await ticks();
    expect(waiter.state).toBe('fulfilled');
    expect(semaphore.tryAcquire()).toBeUndefined();
    waiter.value!.release();
    expect(semaphore.tryAcquire(2)?.weight).toBe(2);
  });

  it('does not let acquire jump over waiters even when enough permits are free', async () => {
    const semaphore = new Semaphore(2);
    const held = semaphore.tryAcquire(1)!;
    const heavy = observe(semaphore.acquire({ weight: 2 }));
    const light = observe(semaphore.acquire({ weight: 1 }));
    await ticks();
    expect(light.state).toBe('pending');
    expect(semaphore.waiting).toBe(2);
    held.release();
    await ticks();
    expect(heavy.state).toBe('fulfilled');
    heavy.value!.release();
    await ticks();
    expect(light.state).toBe('fulfilled');
  });

  it('does not starve a heavy waiter while light acquires keep arriving', async () => {
    const semaphore = new Semaphore(3);
    const holders = [semaphore.tryAcquire()!, semaphore.tryAcquire()!];
    const heavy = observe(semaphore.acquire({ weight: 3 }));
    // Light callers keep coming and each would fit in the free permit; none may pass the heavy one.
    const lights = Array.from({ length: 5 }, () => observe(semaphore.acquire()));
    await ticks();
    expect(lights.every((l) => l.state === 'pending')).toBe(true);
    for (const holder of holders) holder.release();
    await ticks();
    expect(heavy.state).toBe('fulfilled');
    expect(lights.every((l) => l.state === 'pending')).toBe(true);
    heavy.value!.release();
    await ticks();
    expect(lights.filter((l) => l.state === 'fulfilled')).toHaveLength(3);
    for (const l of lights) l.value?.release();
    await ticks();
    for (const l of lights) l.value?.release();
    expect(semaphore.available).toBe(3);
  });

  it('grants at once with timeout 0 when permits are free, and times out at once when not', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(1);
    const permit = await semaphore.acquire({ timeout: 0 });
    const waiter = observe(semaphore.acquire({ timeout: 0 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(TimeoutError.is(waiter.error)).toBe(true);
    permit.release();
    expect(semaphore.available).toBe(1);
  });

  it('treats a second release of a permit as a no-op', async () => {
    const semaphore = new Semaphore(2);
    const permit = await semaphore.acquire();
    expect(permit.released).toBe(false);
    permit.release();
    permit.release();
    permit[Symbol.dispose]();
    expect(permit.released).toBe(true);
    expect(semaphore.available).toBe(2);
  });

  it('releases a permit held with `using` when the block exits, also on throw', async () => {
    const semaphore = new Semaphore(1);
    {
      using permit = await semaphore.acquire();
      expect(permit.weight).toBe(1);
      expect(semaphore.available).toBe(0);
    }
    expect(semaphore.available).toBe(1);
    const fail = async (): Promise<void> => {
      using permit = await semaphore.acquire();
      expect(permit.released).toBe(false);
      throw new Error('boom');
    };
    await expect(fail()).rejects.toThrow('boom');
    expect(semaphore.available).toBe(1);
  });

  it('takes and gives back weighted permits as a whole', async () => {
    const semaphore = new Semaphore(5);
    const permit = await semaphore.acquire({ weight: 4 });
    expect(permit.weight).toBe(4);
    expect(semaphore.available).toBe(1);
    expect(semaphore.tryAcquire(2)).toBeUndefined();
    permit.release();
    expect(semaphore.available).toBe(5);
  });
});

describe('Semaphore: cancellation and timeouts', () => {
  it('rejects a waiter with CancelledError whose cause is the reason when its signal fires', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const waiter = observe(semaphore.acquire({ signal: controller.signal }));
    const reason = new Error('stop');
    controller.abort(reason);
    expect(semaphore.waiting).toBe(0);
    await ticks();
    expect(waiter.state).toBe('rejected');
    expect(CancelledError.is(waiter.error)).toBe(true);
    expect((waiter.error as Error).cause).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    held.release();
    expect(semaphore.available).toBe(1);
  });

  it('accepts a CancellationToken as signal', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const source = new CancellationSource();
    const waiter = observe(semaphore.acquire({ signal: source.token }));
    source.cancel('enough');
    await ticks();
    expect(CancelledError.is(waiter.error)).toBe(true);
    expect((waiter.error as Error).cause).toBe('enough');
    held.release();
  });

  it('never acquires with a signal that is already aborted, even when permits are free', async () => {
    const semaphore = new Semaphore(3);
    const reason = new Error('too late');
    await expect(semaphore.acquire({ signal: AbortSignal.abort(reason) })).rejects.toSatisfy(
      (error: Error) => CancelledError.is(error) && error.cause === reason,
    );
    const source = new CancellationSource();
    source.cancel();
    await expect(semaphore.acquire({ signal: source.token })).rejects.toBeInstanceOf(CancelledError);
    await expect(semaphore.run(() => 1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(semaphore.available).toBe(3);
    expect(semaphore.waiting).toBe(0);
  });

  it('wakes the waiters behind when the heavy waiter at the head leaves', async () => {
    const semaphore = new Semaphore(3);
    const held = semaphore.tryAcquire(2)!;
    const controller = new AbortController();
    const heavy = observe(semaphore.acquire({ weight: 3, signal: controller.signal }));
    const light = observe(semaphore.acquire({ weight: 1 }));
    await ticks();
    expect(light.state).toBe('pending');
    controller.abort();
    await ticks();
    expect(heavy.state).toBe('rejected');
    expect(light.state).toBe('fulfilled');
    expect(semaphore.available).toBe(0);
    held.release();
    light.value!.release();
    expect(semaphore.available).toBe(3);
  });

  it('removes a waiter from the middle of the queue without disturbing the order of the others', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const order: string[] = [];
    const first = semaphore.acquire().then((p) => {
      order.push('first');
      p.release();
    });
    const middle = observe(semaphore.acquire({ signal: controller.signal }));
    const last = semaphore.acquire().then((p) => {
      order.push('last');
      p.release();
    });
    controller.abort();
    expect(semaphore.waiting).toBe(2);
    held.release();
    await Promise.all([first, last]);
    expect(order).toEqual(['first', 'last']);
    expect(middle.state).toBe('rejected');
    expect(semaphore.available).toBe(1);
  });

  it('rejects with TimeoutError when the timeout runs out, and that is not a cancellation', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const waiter = observe(semaphore.acquire({ timeout: 100 }));
    await vi.advanceTimersByTimeAsync(99);
    expect(waiter.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(waiter.state).toBe('rejected');
    expect(TimeoutError.is(waiter.error)).toBe(true);
    expect(isCancellation(waiter.error)).toBe(false);
    expect(semaphore.waiting).toBe(0);
    held.release();
    expect(semaphore.available).toBe(1);
  });

  it('clears the timer of a waiter that acquires before its timeout', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const waiter = observe(semaphore.acquire({ timeout: 1_000 }));
    expect(vi.getTimerCount()).toBe(1);
    held.release();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(waiter.state).toBe('fulfilled');
    waiter.value!.release();
  });

  it('wakes the waiter behind when a waiter times out at the head', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(2);
    const held = semaphore.tryAcquire()!;
    const heavy = observe(semaphore.acquire({ weight: 2, timeout: 50 }));
    const light = observe(semaphore.acquire());
    await vi.advanceTimersByTimeAsync(50);
    expect(heavy.state).toBe('rejected');
    expect(light.state).toBe('fulfilled');
    held.release();
    light.value!.release();
    expect(semaphore.available).toBe(2);
  });

  it('gives a permit handed to a waiter whose signal fires before it resumes to the next waiter', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const first = observe(semaphore.acquire({ signal: controller.signal }));
    const second = observe(semaphore.acquire());
    held.release(); // hands the permit to `first`...
    controller.abort(); // ...whose signal fires before it resumes
    await ticks();
    expect(first.state).toBe('rejected');
    expect(CancelledError.is(first.error)).toBe(true);
    expect(second.state).toBe('fulfilled');
    expect(semaphore.available).toBe(0);
    second.value!.release();
    expect(semaphore.available).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('never starts a run() whose signal fires after the permit was handed over', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const fn = vi.fn(() => 1);
    const first = observe(semaphore.run(fn, { signal: controller.signal }));
    const second = observe(semaphore.run(() => 2));
    held.release();
    controller.abort();
    await ticks();
    expect(fn).not.toHaveBeenCalled();
    expect(CancelledError.is(first.error)).toBe(true);
    expect(second.value).toBe(2);
    expect(semaphore.available).toBe(1);
  });

  it('never starts a queued run() whose signal fires in the microtasks between its wake-up and its start', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const started: boolean[] = [];
    const first = observe(
      semaphore.run(
        (token) => {
          started.push(token.isCancelled);
        },
        { signal: controller.signal },
      ),
    );
    const second = observe(semaphore.run(() => 2));
    held.release(); // hands the permit to `first`...
    queueMicrotask(() => controller.abort()); // ...whose signal fires a microtask later, before `fn` starts
    await ticks();
    // `fn` either started before the signal fired, or never: never with a token cancelled before it ran.
    expect(started).not.toContain(true);
    if (started.length === 0) {
      expect(CancelledError.is(first.error)).toBe(true);
      expect(second.value).toBe(2);
    }
    expect(semaphore.available).toBe(1);
  });

  it('keeps no listener on a shared signal once its waiters are gone', async () => {
    const semaphore = new Semaphore(1);
    const controller = new AbortController();
    const held = semaphore.tryAcquire()!;
    const waiters = Array.from({ length: 5 }, () => observe(semaphore.acquire({ signal: controller.signal })));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    held.release();
    await ticks();
    for (const w of waiters) {
      expect(w.state).toBe('fulfilled');
      w.value!.release();
      await ticks();
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(semaphore.available).toBe(1);
  });

  it('rejects every waiter sharing a signal when it fires and keeps no listener', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const waiters = Array.from({ length: 1_000 }, () => observe(semaphore.acquire({ signal: controller.signal })));
    controller.abort();
    await ticks();
    expect(waiters.every((w) => w.state === 'rejected')).toBe(true);
    expect(semaphore.waiting).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    held.release();
  });
});

describe('Semaphore: waiters sharing signals', () => {
  it('rejects only the waiters of the signal that fired and keeps the others in order', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const red = new AbortController();
    const blue = new AbortController();
    const waiters = [red, blue, red, blue].map((c) => observe(semaphore.acquire({ signal: c.signal })));
    red.abort();
    expect(semaphore.waiting).toBe(2);
    expect(getEventListeners(red.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(blue.signal, 'abort')).toHaveLength(1);
    held.release();
    await ticks();
    expect(waiters.map((w) => w.state)).toEqual(['rejected', 'fulfilled', 'rejected', 'pending']);
    waiters[1]!.value!.release();
    await ticks();
    expect(waiters[3]!.state).toBe('fulfilled');
    waiters[3]!.value!.release();
    expect(getEventListeners(blue.signal, 'abort')).toHaveLength(0);
    expect(semaphore.available).toBe(1);
  });

  it('listens to a signal again when it is reused after its waiters were served', async () => {
    const semaphore = new Semaphore(1);
    const controller = new AbortController();
    for (let round = 0; round < 3; round++) {
      const held = semaphore.tryAcquire()!;
      const waiter = observe(semaphore.acquire({ signal: controller.signal }));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      held.release();
      await ticks();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      waiter.value!.release();
    }
    const held = semaphore.tryAcquire()!;
    const last = observe(semaphore.acquire({ signal: controller.signal }));
    controller.abort();
    await ticks();
    expect(CancelledError.is(last.error)).toBe(true);
    held.release();
  });

  it('drops the listener of a waiter that times out while also holding a signal', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const waiter = observe(semaphore.acquire({ signal: controller.signal, timeout: 5 }));
    await vi.advanceTimersByTimeAsync(5);
    expect(TimeoutError.is(waiter.error)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    held.release();
  });

  it('gives every waiter cancelled by one signal a CancelledError with that reason', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const waiters = [1, 2, 3].map(() => semaphore.acquire({ signal: controller.signal }));
    controller.abort('stop');
    const results = await Promise.allSettled(waiters);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as Error;
      expect(CancelledError.is(error)).toBe(true);
      expect(error.cause).toBe('stop');
    }
    held.release();
  });
});

describe('Semaphore: close', () => {
  it('rejects waiters with ClosedError when the semaphore is closed', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const reason = new Error('shutting down');
    const a = observe(semaphore.acquire());
    const b = observe(semaphore.run(() => 1));
    semaphore.close(reason);
    await ticks();
    for (const w of [a, b]) {
      expect(w.state).toBe('rejected');
      expect(ClosedError.is(w.error)).toBe(true);
      expect((w.error as Error).cause).toBe(reason);
      expect((w.error as Error).message).toBe('The semaphore is closed');
    }
    expect(semaphore.waiting).toBe(0);
    expect(semaphore.isClosed).toBe(true);
    held.release();
  });

  it('rejects every later acquire and run with ClosedError, and tryAcquire throws it', async () => {
    const semaphore = new Semaphore(2);
    semaphore.close();
    await expect(semaphore.acquire()).rejects.toBeInstanceOf(ClosedError);
    const fn = vi.fn();
    await expect(semaphore.run(fn)).rejects.toBeInstanceOf(ClosedError);
    await expect(semaphore.limit(fn)()).rejects.toBeInstanceOf(ClosedError);
    expect(fn).not.toHaveBeenCalled();
    expect(() => semaphore.tryAcquire()).toThrow(ClosedError);
    await expect(semaphore.acquire()).rejects.toSatisfy((error: Error) => error.cause === undefined);
  });

  it('lets permits held at close be released', async () => {
    const semaphore = new Semaphore(2);
    const permit = await semaphore.acquire({ weight: 2 });
    semaphore.close();
    expect(semaphore.available).toBe(0);
    permit.release();
    expect(semaphore.available).toBe(2);
  });

  it('lets a waiter that was handed permits just before close keep them', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const first = observe(semaphore.acquire());
    const second = observe(semaphore.acquire());
    held.release(); // hands the permit to `first`
    semaphore.close();
    await ticks();
    expect(first.state).toBe('fulfilled');
    expect(ClosedError.is(second.error)).toBe(true);
    first.value!.release();
    expect(semaphore.available).toBe(1);
  });

  it('keeps the first reason when closed twice', async () => {
    const semaphore = new Semaphore(1);
    semaphore.close('first');
    semaphore.close('second');
    await expect(semaphore.acquire()).rejects.toSatisfy((error: Error) => error.cause === 'first');
  });

  it('lets a run() that holds permits at close finish and release them', async () => {
    const semaphore = new Semaphore(1);
    let finish!: () => void;
    const running = semaphore.run(() => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    semaphore.close();
    finish();
    await expect(running).resolves.toBe('done');
    expect(semaphore.available).toBe(1);
  });

  it('recognises ClosedError by its brand, across copies', () => {
    const error = new ClosedError(undefined, { cause: 1 });
    expect(error.name).toBe('ClosedError');
    expect(error.cause).toBe(1);
    expect(error).toBeInstanceOf(Error);
    expect(ClosedError.is(error)).toBe(true);
    expect(ClosedError.is({ [Symbol.for('@x/semaphore/ClosedError')]: true })).toBe(true);
    expect(ClosedError.is(new Error('closed'))).toBe(false);
    expect(ClosedError.is(null)).toBe(false);
  });
});

describe('Semaphore: run and limit', () => {
  it('releases after run() returns, throws, or throws synchronously', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(async () => 'value')).resolves.toBe('value');
    expect(semaphore.available).toBe(1);
    await expect(semaphore.run(() => 'sync value')).resolves.toBe('sync value');
    expect(semaphore.available).toBe(1);
    await expect(
      semaphore.run(async () => {
        await ticks(1);
        throw new Error('async');
      }),
    ).rejects.toThrow('async');
    expect(semaphore.available).toBe(1);
    const syncThrow = semaphore.run(() => {
      throw new Error('sync');
    });
    await expect(syncThrow).rejects.toThrow('sync');
    expect(semaphore.available).toBe(1);
  });

  it('releases a queued run() on return, throw and synchronous throw', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const ok = semaphore.run(() => 'ok');
    const fails = semaphore.run(() => {
      throw new Error('sync');
    });
    const rejects = semaphore.run(() => Promise.reject(new Error('async')));
    held.release();
    await expect(ok).resolves.toBe('ok');
    await expect(fails).rejects.toThrow('sync');
    await expect(rejects).rejects.toThrow('async');
    expect(semaphore.available).toBe(1);
  });

  it('starts run() synchronously when permits are free and holds its weight meanwhile', async () => {
    const semaphore = new Semaphore(3);
    let started = false;
    const running = semaphore.run(
      async () => {
        started = true;
        await ticks(2);
        return semaphore.available;
      },
      { weight: 2 },
    );
    expect(started).toBe(true);
    expect(semaphore.available).toBe(1);
    await expect(running).resolves.toBe(1);
    expect(semaphore.available).toBe(3);
  });

  it('never has more run() bodies in flight than permits', async () => {
    const semaphore = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        semaphore.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await ticks(i % 4);
          active--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(semaphore.available).toBe(3);
  });

  it('passes run() a token made from its signal, and CancellationToken.none without one', async () => {
    const semaphore = new Semaphore(1);
    const controller = new AbortController();
    const token = await semaphore.run((t) => t, { signal: controller.signal });
    expect(token).toBe(CancellationToken.from(controller.signal));
    expect(token.signal).toBe(controller.signal);
    await expect(semaphore.run((t) => t)).resolves.toBe(CancellationToken.none);
  });

  it('lets a running run() see its signal fire through the token without rejecting for it', async () => {
    const semaphore = new Semaphore(1);
    const controller = new AbortController();
    const running = semaphore.run(
      (token) =>
        new Promise<string>((resolve) => {
          token.onCancel(() => {
            resolve('stopped cleanly');
          });
        }),
      { signal: controller.signal },
    );
    controller.abort();
    await expect(running).resolves.toBe('stopped cleanly');
    expect(semaphore.available).toBe(1);
  });

  it('never starts a queued run() whose wait was cancelled or timed out', async () => {
    vi.useFakeTimers();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const controller = new AbortController();
    const fn = vi.fn();
    const cancelled = observe(semaphore.run(fn, { signal: controller.signal }));
    const timedOut = observe(semaphore.run(fn, { timeout: 10 }));
    controller.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect(CancelledError.is(cancelled.error)).toBe(true);
    expect(TimeoutError.is(timedOut.error)).toBe(true);
    held.release();
    expect(fn).not.toHaveBeenCalled();
    expect(semaphore.available).toBe(1);
  });

  it('limit() wraps a function like p-limit: same arguments, its result, bounded concurrency', async () => {
    const semaphore = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const double = semaphore.limit(async (n: number, label: string = 'n') => {
      active++;
      peak = Math.max(peak, active);
      await ticks(3);
      active--;
      return `${label}:${n * 2}`;
    });
    const results = await Promise.all([double(1), double(2, 'x'), double(3), double(4)]);
    expect(results).toEqual(['n:2', 'x:4', 'n:6', 'n:8']);
    expect(peak).toBe(2);
    expect(semaphore.available).toBe(2);
  });

  it('limit() passes errors through and releases', async () => {
    const semaphore = new Semaphore(1);
    const failing = semaphore.limit((message: string) => {
      throw new Error(message);
    });
    await expect(failing('bad')).rejects.toThrow('bad');
    expect(semaphore.available).toBe(1);
  });

  it('limit() applies its options to every call', async () => {
    const semaphore = new Semaphore(2);
    const controller = new AbortController();
    const heavy = semaphore.limit(() => semaphore.available, { weight: 2, signal: controller.signal });
    await expect(heavy()).resolves.toBe(0);
    controller.abort();
    await expect(heavy()).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('Semaphore: capacity at run time', () => {
  it('wakes waiters when capacity is raised', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const heavy = observe(semaphore.acquire({ weight: 1 }));
    const more = observe(semaphore.acquire({ weight: 1 }));
    semaphore.capacity = 3;
    await ticks();
    expect(heavy.state).toBe('fulfilled');
    expect(more.state).toBe('fulfilled');
    expect(semaphore.available).toBe(0);
    held.release();
    expect(semaphore.available).toBe(1);
  });

  it('lets a raised capacity admit weights that were too heavy before', async () => {
    const semaphore = new Semaphore(1);
    expect(() => semaphore.tryAcquire(2)).toThrow(RangeError);
    semaphore.capacity = 2;
    expect(semaphore.tryAcquire(2)?.weight).toBe(2);
  });

  it('applies a lowered capacity as permits come back, revoking nothing', async () => {
    const semaphore = new Semaphore(3);
    const a = semaphore.tryAcquire()!;
    const b = semaphore.tryAcquire()!;
    const c = semaphore.tryAcquire()!;
    semaphore.capacity = 1;
    expect(semaphore.capacity).toBe(1);
    expect(semaphore.available).toBe(0);
    const waiter = observe(semaphore.acquire());
    a.release();
    b.release();
    await ticks();
    expect(waiter.state).toBe('pending');
    c.release();
    await ticks();
    expect(waiter.state).toBe('fulfilled');
    expect(semaphore.tryAcquire()).toBeUndefined();
    waiter.value!.release();
    expect(semaphore.available).toBe(1);
  });

  it('refuses to lower capacity below the weight of a queued waiter', () => {
    const semaphore = new Semaphore(3);
    const held = semaphore.tryAcquire()!;
    const waiter = observe(semaphore.acquire({ weight: 3 }));
    expect(() => (semaphore.capacity = 2)).toThrow(/`capacity` to be at least 3/);
    expect(semaphore.capacity).toBe(3);
    held.release();
    void waiter.promise.then((p) => {
      p.release();
    });
  });
});

describe('Semaphore: bad input', () => {
  it('rejects permits that are not positive integers, naming the argument', () => {
    expect(() => new Semaphore(0)).toThrow(new RangeError('Expected `permits` to be an integer from 1 and up, got `0` (number)'));
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new Semaphore(Number.NaN)).toThrow(RangeError);
    expect(() => new Semaphore('2' as never)).toThrow(TypeError);
    expect(() => new Semaphore(undefined as never)).toThrow(/`permits`/);
  });

  it('throws synchronously for a weight that is not an integer from 1 to capacity', () => {
    const semaphore = new Semaphore(2);
    expect(() => semaphore.acquire({ weight: 0 })).toThrow(/`weight`.*`0`/);
    expect(() => semaphore.acquire({ weight: 3 })).toThrow(
      new RangeError('Expected `weight` to be an integer from 1 to 2, got `3` (number)'),
    );
    expect(() => semaphore.acquire({ weight: 1.5 })).toThrow(RangeError);
    expect(() => semaphore.acquire({ weight: '1' as never })).toThrow(TypeError);
    expect(() => semaphore.tryAcquire(3)).toThrow(RangeError);
    expect(() => semaphore.run(() => 1, { weight: -1 })).toThrow(RangeError);
    expect(() => semaphore.limit(() => 1, { weight: 5 })).toThrow(/`weight`/);
    expect(semaphore.available).toBe(2);
  });

  it('throws synchronously for a bad timeout or signal', () => {
    const semaphore = new Semaphore(1);
    expect(() => semaphore.acquire({ timeout: -1 })).toThrow(/`timeout`/);
    expect(() => semaphore.acquire({ timeout: Number.NaN })).toThrow(RangeError);
    expect(() => semaphore.acquire({ signal: 'nope' as never })).toThrow(TypeError);
    expect(() => semaphore.run(() => 1, { signal: {} as never })).toThrow(/`signal`/);
    expect(semaphore.available).toBe(1);
  });

  it('throws a RangeError for a timeout above 2^31-1 ms at the call, whether permits are free or not', async () => {
    const semaphore = new Semaphore(1);
    const timeout = 2 ** 31; // a timer that long would fire after 1 ms
    const fn = vi.fn(() => 1);
    /** How a call with that timeout ends: thrown at the call, or the promise it returned. */
    const outcome = async (call: () => Promise<unknown>): Promise<string> => {
      let promise: Promise<unknown>;
      try {
        promise = call();
      } catch (error) {
        return `throws ${(error as Error).name}`;
      }
      try {
        const value = await promise;
        if (value instanceof Permit) value.release();
        return 'resolves';
      } catch (error) {
        return `rejects ${(error as Error).name}`;
      }
    };
    const free = [await outcome(() => semaphore.acquire({ timeout })), await outcome(() => semaphore.run(fn, { timeout }))];
    const held = semaphore.tryAcquire()!;
    const busy = [await outcome(() => semaphore.acquire({ timeout })), await outcome(() => semaphore.run(fn, { timeout }))];
    held.release();
    expect({ free, busy }).toEqual({ free: ['throws RangeError', 'throws RangeError'], busy: ['throws RangeError', 'throws RangeError'] });
    expect(fn).not.toHaveBeenCalled();
    expect(semaphore.waiting).toBe(0);
    expect(semaphore.available).toBe(1);
  });

  it('throws a TypeError naming `fn` when run or limit gets something else', () => {
    const semaphore = new Semaphore(1);
    expect(() => semaphore.run('x' as never)).toThrow(new TypeError('Expected `fn` to be a function, got `"x"` (string)'));
    expect(() => semaphore.limit(undefined as never)).toThrow(/`fn`/);
  });

  it('rejects a capacity that is not a positive integer', () => {
    const semaphore = new Semaphore(1);
    expect(() => (semaphore.capacity = 0)).toThrow(/`capacity`/);
    expect(() => (semaphore.capacity = 2.5)).toThrow(RangeError);
    expect(semaphore.capacity).toBe(1);
  });
});

describe('Semaphore: async context', () => {
  it('resumes an acquire in the async context of its caller, not of whoever released', async () => {
    const storage = new AsyncLocalStorage<string>();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const seen = storage.run('caller', async () => {
      const permit = await semaphore.acquire();
      const store = storage.getStore();
      permit.release();
      return store;
    });
    storage.run('releaser', () => {
      held.release();
    });
    await expect(seen).resolves.toBe('caller');
  });

  it('runs a queued run() body in the async context of its caller', async () => {
    const storage = new AsyncLocalStorage<string>();
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const seen = storage.run('submitter', () => semaphore.run(() => storage.getStore()));
    const limited = semaphore.limit(() => storage.getStore());
    const seenByLimit = storage.run('limit caller', () => limited());
    storage.run('releaser', () => {
      held.release();
    });
    await expect(seen).resolves.toBe('submitter');
    await expect(seenByLimit).resolves.toBe('limit caller');
  });
});
