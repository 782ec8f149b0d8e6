import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancellationSource, CancellationToken, CancelledError, TimeoutError } from '@x/core';
import { ClosedError, RWLock } from '@x/rwlock';

interface Tracked<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value: T | undefined;
  error: unknown;
}

/** Follows a promise's outcome without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { status: 'pending', value: undefined, error: undefined };
  promise.then(
    (value) => {
      tracked.status = 'fulfilled';
      tracked.value = value;
    },
    (error: unknown) => {
      tracked.status = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

/** Lets every pending promise continuation run. */
async function tick(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RWLock basics', () => {
  it('lets many readers hold the lock at once', async () => {
    const lock = new RWLock();
    const a = await lock.read();
    const b = await lock.read();
    const c = lock.tryRead();
    expect(c).toBeDefined();
    expect(lock.readers).toBe(3);
    expect(lock.isWriteLocked).toBe(false);
    a.release();
    b.release();
    c?.release();
    expect(lock.readers).toBe(0);
  });

  it('gives the write lock to one writer alone', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    expect(lock.isWriteLocked).toBe(true);
    expect(lock.tryWrite()).toBeUndefined();
    expect(lock.tryRead()).toBeUndefined();
    const reader = track(lock.read());
    const second = track(lock.write());
    await tick();
    expect(reader.status).toBe('pending');
    expect(second.status).toBe('pending');
    expect(lock.waiting).toBe(2);
    writer.release();
    await tick();
    expect(reader.status).toBe('fulfilled');
    expect(second.status).toBe('pending');
    reader.value?.release();
    await tick();
    expect(second.status).toBe('fulfilled');
    expect(lock.isWriteLocked).toBe(true);
    second.value?.release();
    expect(lock.isWriteLocked).toBe(false);
    expect(lock.waiting).toBe(0);
  });

  it('makes a writer wait for every reader to leave', async () => {
    const lock = new RWLock();
    const a = await lock.read();
    const b = await lock.read();
    const writer = track(lock.write());
    a.release();
    await tick();
    expect(writer.status).toBe('pending');
    b.release();
    await tick();
    expect(writer.status).toBe('fulfilled');
    writer.value?.release();
  });

  it('hands the lock over synchronously on release, so nobody can slip in between', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const next = track(lock.write());
    writer.release();
    expect(lock.isWriteLocked).toBe(true);
    expect(lock.tryRead()).toBeUndefined();
    expect(lock.tryWrite()).toBeUndefined();
    await tick();
    expect(next.status).toBe('fulfilled');
    next.value?.release();
  });

  it('treats a second release as a no-op', async () => {
    const lock = new RWLock();
    const a = await lock.read();
    const b = await lock.read();
    a.release();
    a.release();
    expect(lock.readers).toBe(1);
    b[Symbol.dispose]();
    b.release();
    expect(lock.readers).toBe(0);
    const writer = await lock.write();
    writer.release();
    const other = await lock.write();
    writer.release();
    expect(lock.isWriteLocked).toBe(true);
    other.release();
    expect(lock.isWriteLocked).toBe(false);
  });

  it('releases guards held with using', async () => {
    const lock = new RWLock();
    {
      using guard = await lock.write();
      expect(lock.isWriteLocked).toBe(true);
      expect(guard).toBeDefined();
    }
    expect(lock.isWriteLocked).toBe(false);
    {
      using guard = await lock.read();
      expect(lock.readers).toBe(1);
      expect(guard).toBeDefined();
    }
    expect(lock.readers).toBe(0);
  });
});

describe('RWLock fairness', () => {
  it('queues readers behind a waiting writer', async () => {
    const lock = new RWLock();
    const reading = await lock.read();
    const writer = track(lock.write());
    const later = track(lock.read());
    expect(lock.tryRead()).toBeUndefined();
    await tick();
    expect(writer.status).toBe('pending');
    expect(later.status).toBe('pending');
    reading.release();
    await tick();
    expect(writer.status).toBe('fulfilled');
    expect(later.status).toBe('pending');
    writer.value?.release();
    await tick();
    expect(later.status).toBe('fulfilled');
    later.value?.release();
  });

  it('lets every reader queued before the next writer enter together when a writer releases', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const r1 = track(lock.read());
    const r2 = track(lock.read());
    const r3 = track(lock.read());
    const w2 = track(lock.write());
    const r4 = track(lock.read());
    writer.release();
    expect(lock.readers).toBe(3);
    await tick();
    expect([r1.status, r2.status, r3.status]).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(w2.status).toBe('pending');
    expect(r4.status).toBe('pending');
    r1.value?.release();
    r2.value?.release();
    r3.value?.release();
    await tick();
    expect(w2.status).toBe('fulfilled');
    expect(r4.status).toBe('pending');
    w2.value?.release();
    await tick();
    expect(r4.status).toBe('fulfilled');
    r4.value?.release();
  });

  it('serves writers in the order they asked', async () => {
    const lock = new RWLock();
    const order: number[] = [];
    const first = await lock.write();
    const done = [1, 2, 3].map((n) =>
      lock.withWrite(async () => {
        order.push(n);
        await tick();
      }),
    );
    first.release();
    await Promise.all(done);
    expect(order).toEqual([1, 2, 3]);
  });

  it('makes readers overlap inside withRead', async () => {
    const lock = new RWLock();
    let inside = 0;
    let peak = 0;
    const blocker = await lock.write();
    const readers = Array.from({ length: 5 }, () =>
      lock.withRead(async () => {
        inside++;
        peak = Math.max(peak, inside);
        await tick();
        inside--;
      }),
    );
    blocker.release();
    await Promise.all(readers);
    expect(peak).toBe(5);
  });

  it('never starves a writer under a steady stream of readers', async () => {
    const lock = new RWLock();
    let stop = false;
    let reads = 0;
    const readerLoop = async (): Promise<void> => {
      while (!stop) {
        await lock.withRead(async () => {
          reads++;
          await tick();
        });
      }
    };
    const loops = [readerLoop(), readerLoop(), readerLoop()];
    await tick();
    const wrote = await lock.withWrite(() => reads);
    stop = true;
    await Promise.all(loops);
    expect(wrote).toBeGreaterThan(0);
    expect(lock.readers).toBe(0);
  });

  it('does not let tryWrite overtake queued readers', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const reader = track(lock.read());
    writer.release();
    expect(lock.tryWrite()).toBeUndefined();
    await tick();
    reader.value?.release();
    const free = lock.tryWrite();
    expect(free).toBeDefined();
    free?.release();
  });
});

describe('RWLock cancellation', () => {
  it('rejects with CancelledError carrying the reason when the signal fires while waiting', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const reason = new Error('user left');
    const waiting = track(lock.read({ signal: controller.signal }));
    controller.abort(reason);
    await tick();
    expect(waiting.status).toBe('rejected');
    expect(CancelledError.is(waiting.error)).toBe(true);
    expect((waiting.error as Error).cause).toBe(reason);
    expect(lock.waiting).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    writer.release();
    expect(lock.isWriteLocked).toBe(false);
  });

  it('never acquires with a signal that is already aborted, even when the lock is free', async () => {
    const lock = new RWLock();
    const signal = AbortSignal.abort('gone');
    await expect(lock.read({ signal })).rejects.toSatisfy((e) => CancelledError.is(e) && (e as Error).cause === 'gone');
    await expect(lock.write({ signal })).rejects.toSatisfy(CancelledError.is);
    const fn = vi.fn();
    await expect(lock.withRead(fn, { signal })).rejects.toSatisfy(CancelledError.is);
    await expect(lock.withWrite(fn, { signal })).rejects.toSatisfy(CancelledError.is);
    expect(fn).not.toHaveBeenCalled();
    expect(lock.readers).toBe(0);
    expect(lock.isWriteLocked).toBe(false);
  });

  it('accepts a CancellationToken as signal', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const source = new CancellationSource();
    const waiting = track(lock.write({ signal: source.token }));
    source.cancel('stop');
    await tick();
    expect(CancelledError.is(waiting.error)).toBe(true);
    expect((waiting.error as Error).cause).toBe('stop');
    writer.release();
    expect(lock.isWriteLocked).toBe(false);
  });

  it('lets the readers behind a queued writer in when that writer leaves', async () => {
    const lock = new RWLock();
    const reading = await lock.read();
    const controller = new AbortController();
    const writer = track(lock.write({ signal: controller.signal }));
    const r1 = track(lock.read());
    const r2 = track(lock.read());
    await tick();
    expect(r1.status).toBe('pending');
    controller.abort();
    expect(lock.readers).toBe(3);
    await tick();
    expect(writer.status).toBe('rejected');
    expect([r1.status, r2.status]).toEqual(['fulfilled', 'fulfilled']);
    reading.release();
    r1.value?.release();
    r2.value?.release();
    expect(lock.readers).toBe(0);
  });

  it('lets the readers behind a queued writer in when that writer times out', async () => {
    vi.useFakeTimers();
    const lock = new RWLock();
    const reading = await lock.read();
    const writer = track(lock.write({ timeout: 100 }));
    const reader = track(lock.read());
    await vi.advanceTimersByTimeAsync(99);
    expect(writer.status).toBe('pending');
    expect(reader.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.status).toBe('rejected');
    expect(TimeoutError.is(writer.error)).toBe(true);
    expect(reader.status).toBe('fulfilled');
    reading.release();
    reader.value?.release();
  });

  it('wakes the writer queued behind a reader that leaves', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const reader = track(lock.read({ signal: controller.signal }));
    const next = track(lock.write());
    controller.abort();
    writer.release();
    await tick();
    expect(reader.status).toBe('rejected');
    expect(next.status).toBe('fulfilled');
    next.value?.release();
  });

  it('passes a lock given to a waiter whose signal fires before it resumes to the next waiter', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const first = track(lock.write({ signal: controller.signal }));
    const second = track(lock.write());
    writer.release();
    controller.abort();
    await tick();
    expect(first.status).toBe('rejected');
    expect(CancelledError.is(first.error)).toBe(true);
    expect(second.status).toBe('fulfilled');
    second.value?.release();
    expect(lock.isWriteLocked).toBe(false);
    expect(lock.readers).toBe(0);
  });

  it('gives back a read lock abandoned the same way', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const reader = track(lock.read({ signal: controller.signal }));
    const next = track(lock.write());
    writer.release();
    expect(lock.readers).toBe(1);
    controller.abort();
    await tick();
    expect(reader.status).toBe('rejected');
    expect(next.status).toBe('fulfilled');
    next.value?.release();
    expect(lock.readers).toBe(0);
  });

  it('rejects with TimeoutError when the timeout runs out and clears the timer on success', async () => {
    vi.useFakeTimers();
    const lock = new RWLock();
    const writer = await lock.write();
    const late = track(lock.read({ timeout: 50 }));
    const inTime = track(lock.write({ timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(TimeoutError.is(late.error)).toBe(true);
    writer.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(inTime.status).toBe('fulfilled');
    expect(vi.getTimerCount()).toBe(0);
    inTime.value?.release();
  });

  it('takes a free lock at once even with timeout 0', async () => {
    const lock = new RWLock();
    const guard = await lock.write({ timeout: 0 });
    expect(lock.isWriteLocked).toBe(true);
    guard.release();
  });

  it('keeps at most one listener on a shared signal and none once nothing waits', async () => {
    const lock = new RWLock();
    const controller = new AbortController();
    const { signal } = controller;
    const writer = await lock.write();
    const waiters = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? lock.read({ signal }) : lock.write({ signal })));
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    writer.release();
    for (const waiter of waiters) (await waiter).release();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(lock.waiting).toBe(0);
  });
});

describe('RWLock.close', () => {
  it('rejects every waiter with ClosedError carrying the reason', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const r = track(lock.read());
    const w = track(lock.write());
    const reason = new Error('shutting down');
    lock.close(reason);
    await tick();
    for (const waiter of [r, w]) {
      expect(ClosedError.is(waiter.error)).toBe(true);
      expect((waiter.error as Error).cause).toBe(reason);
    }
    expect(lock.waiting).toBe(0);
    writer.release();
    expect(lock.isWriteLocked).toBe(false);
  });

  it('rejects every later call with ClosedError and throws it from the try-variants', async () => {
    const lock = new RWLock();
    lock.close('done');
    const fn = vi.fn();
    for (const call of [lock.read(), lock.write(), lock.withRead(fn), lock.withWrite(fn)]) {
      await expect(call).rejects.toSatisfy((e) => ClosedError.is(e) && (e as Error).cause === 'done');
    }
    expect(() => lock.tryRead()).toThrow(ClosedError);
    expect(() => lock.tryWrite()).toThrow(ClosedError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('lets guards held at close be released and downgraded', async () => {
    const lock = new RWLock();
    const reader = await lock.read();
    lock.close();
    reader.release();
    expect(lock.readers).toBe(0);
    const other = new RWLock();
    const writer = await other.write();
    other.close();
    const downgraded = writer.downgrade();
    expect(other.readers).toBe(1);
    downgraded.release();
    expect(other.readers).toBe(0);
  });

  it('keeps the first reason when closed twice', async () => {
    const lock = new RWLock();
    expect(lock.isClosed).toBe(false);
    lock.close('first');
    expect(lock.isClosed).toBe(true);
    lock.close('second');
    await expect(lock.read()).rejects.toSatisfy((e) => (e as Error).cause === 'first');
  });

  it('has no cause when closed without a reason', async () => {
    const lock = new RWLock();
    lock.close();
    const error: unknown = await lock.read().catch((e: unknown) => e);
    expect(ClosedError.is(error)).toBe(true);
    expect(Object.hasOwn(error as Error, 'cause')).toBe(false);
  });
});

describe('WriteGuard.downgrade', () => {
  it('turns the write lock into a read lock and lets the queued readers in', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const r1 = track(lock.read());
    const r2 = track(lock.read());
    const w2 = track(lock.write());
    const r3 = track(lock.read());
    const reader = writer.downgrade();
    expect(lock.isWriteLocked).toBe(false);
    expect(lock.readers).toBe(3);
    await tick();
    expect([r1.status, r2.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(w2.status).toBe('pending');
    expect(r3.status).toBe('pending');
    r1.value?.release();
    r2.value?.release();
    await tick();
    expect(w2.status).toBe('pending');
    reader.release();
    await tick();
    expect(w2.status).toBe('fulfilled');
    w2.value?.release();
    await tick();
    expect(r3.status).toBe('fulfilled');
    r3.value?.release();
  });

  it('lets no writer in between the write and the read', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const other = track(lock.write());
    const reader = writer.downgrade();
    expect(lock.isWriteLocked).toBe(false);
    expect(lock.readers).toBe(1);
    await tick();
    expect(other.status).toBe('pending');
    reader.release();
    await tick();
    expect(other.status).toBe('fulfilled');
    other.value?.release();
  });

  it('makes a later release of the write guard a no-op', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const reader = writer.downgrade();
    writer.release();
    expect(lock.readers).toBe(1);
    reader.release();
    expect(lock.readers).toBe(0);
  });

  it('throws when the guard has already been released or downgraded', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    writer.release();
    expect(() => writer.downgrade()).toThrow(/already been released/);
    const again = await lock.write();
    again.downgrade().release();
    expect(() => again.downgrade()).toThrow(/already been released/);
    expect(lock.readers).toBe(0);
  });
});

describe('RWLock.withRead and withWrite', () => {
  it('resolves with what fn returns and releases', async () => {
    const lock = new RWLock();
    await expect(lock.withRead(() => 1)).resolves.toBe(1);
    await expect(lock.withWrite(async () => 'w')).resolves.toBe('w');
    expect(lock.readers).toBe(0);
    expect(lock.isWriteLocked).toBe(false);
  });

  it('releases when fn throws synchronously, rejects, or the lock was queued', async () => {
    const lock = new RWLock();
    const boom = new Error('boom');
    await expect(
      lock.withWrite(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(lock.isWriteLocked).toBe(false);
    await expect(lock.withRead(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(lock.readers).toBe(0);
    const writer = await lock.write();
    const queued = lock.withRead(() => {
      throw boom;
    });
    writer.release();
    await expect(queued).rejects.toBe(boom);
    expect(lock.readers).toBe(0);
  });

  it('starts fn synchronously, inside the call, when the lock is free', async () => {
    const lock = new RWLock();
    const order: string[] = [];
    const writing = lock.withWrite((token) => {
      order.push('write');
      expect(token).toBe(CancellationToken.none);
      expect(lock.isWriteLocked).toBe(true);
    });
    order.push('after write');
    await writing;
    const reading = lock.withRead(() => {
      order.push('read');
      expect(lock.readers).toBe(1);
    }, { signal: new AbortController().signal, timeout: 1_000 });
    order.push('after read');
    await reading;
    expect(order).toEqual(['write', 'after write', 'read', 'after read']);
    expect(lock.readers).toBe(0);
    expect(lock.isWriteLocked).toBe(false);
  });

  it('starts withRead fn synchronously beside readers that hold the lock', async () => {
    const lock = new RWLock();
    const reader = await lock.read();
    let started = false;
    const running = lock.withRead(() => {
      started = true;
    });
    expect(started).toBe(true);
    expect(lock.readers).toBe(2);
    await running;
    expect(lock.readers).toBe(1);
    reader.release();
  });

  it('does not start withRead fn synchronously while a writer holds the lock or waits', async () => {
    const lock = new RWLock();
    const reader = await lock.read();
    const writer = track(lock.write());
    let started = false;
    const running = lock.withRead(() => {
      started = true;
    });
    expect(started).toBe(false);
    expect(lock.waiting).toBe(2);
    reader.release();
    await tick();
    expect(writer.status).toBe('fulfilled');
    expect(started).toBe(false);
    writer.value?.release();
    await running;
    expect(started).toBe(true);
    expect(lock.readers).toBe(0);
  });

  it('does not start withWrite fn synchronously while anyone holds the lock or waits', async () => {
    const lock = new RWLock();
    for (const take of [() => lock.read(), () => lock.write()]) {
      const holder = await take();
      let started = false;
      const running = lock.withWrite(() => {
        started = true;
      });
      expect(started).toBe(false);
      holder.release();
      await running;
      expect(started).toBe(true);
    }
    const reader = await lock.read();
    const queued = track(lock.write());
    let started = false;
    const running = lock.withWrite(() => {
      started = true;
    });
    expect(started).toBe(false);
    expect(lock.waiting).toBe(2);
    reader.release();
    await tick();
    expect(started).toBe(false);
    queued.value?.release();
    await running;
    expect(started).toBe(true);
    expect(lock.isWriteLocked).toBe(false);
  });

  it('rejects, without throwing, and releases at once when fn throws synchronously on a free lock', async () => {
    const lock = new RWLock();
    const boom = new Error('boom');
    const thrower = (): never => {
      throw boom;
    };
    let writing: Promise<never> | undefined;
    expect(() => (writing = lock.withWrite(thrower))).not.toThrow();
    expect(lock.isWriteLocked).toBe(false);
    let reading: Promise<never> | undefined;
    expect(() => (reading = lock.withRead(thrower))).not.toThrow();
    expect(lock.readers).toBe(0);
    await expect(writing).rejects.toBe(boom);
    await expect(reading).rejects.toBe(boom);
    const after = lock.tryWrite();
    expect(after).toBeDefined();
    after?.release();
  });

  it('starts fn on a free lock before a later abort; the abort only cancels its token', async () => {
    const lock = new RWLock();
    const controller = new AbortController();
    let seen: CancellationToken | undefined;
    const running = lock.withRead(async (token) => {
      seen = token;
      await tick();
      return token.isCancelled;
    }, { signal: controller.signal });
    controller.abort('too late');
    await expect(running).resolves.toBe(true);
    expect(seen).toBe(CancellationToken.from(controller.signal));
    expect(lock.readers).toBe(0);
  });

  it('holds the lock until the promise fn returned settles', async () => {
    const lock = new RWLock();
    let finish!: () => void;
    const running = lock.withWrite(() => new Promise<void>((resolve) => (finish = resolve)));
    await tick();
    expect(lock.isWriteLocked).toBe(true);
    finish();
    await running;
    expect(lock.isWriteLocked).toBe(false);
  });

  it('passes fn a token that is cancelled when the signal fires', async () => {
    const lock = new RWLock();
    const controller = new AbortController();
    let seen: CancellationToken | undefined;
    let started!: () => void;
    const isRunning = new Promise<void>((resolve) => (started = resolve));
    const running = lock.withRead(async (token) => {
      seen = token;
      started();
      await tick();
      return token.isCancelled;
    }, { signal: controller.signal });
    await isRunning;
    controller.abort();
    await expect(running).resolves.toBe(true);
    expect(seen).toBe(CancellationToken.from(controller.signal));
    await lock.withWrite((token) => {
      expect(token).toBe(CancellationToken.none);
    });
  });

  it('does not start fn when the wait is cancelled', async () => {
    const lock = new RWLock();
    const writer = await lock.write();
    const controller = new AbortController();
    const fn = vi.fn();
    const waiting = lock.withRead(fn, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toSatisfy(CancelledError.is);
    writer.release();
    await tick();
    expect(fn).not.toHaveBeenCalled();
    expect(lock.readers).toBe(0);
  });

  it('runs fn in the async context of its caller, synchronously, on a free lock', async () => {
    const lock = new RWLock();
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const calls = storage.run('w', () =>
      lock.withWrite(() => {
        seen.push(storage.getStore());
      }),
    );
    expect(seen).toEqual(['w']);
    await calls;
    const reads = ['a', 'b'].map((name) =>
      storage.run(name, () =>
        lock.withRead(async () => {
          seen.push(storage.getStore());
          await tick();
          seen.push(storage.getStore());
        }),
      ),
    );
    expect(seen).toEqual(['w', 'a', 'b']);
    await Promise.all(reads);
    expect(seen).toEqual(['w', 'a', 'b', 'a', 'b']);
  });

  it('runs queued fn in the async context of its caller', async () => {
    const lock = new RWLock();
    const storage = new AsyncLocalStorage<string>();
    const writer = await lock.write();
    const seen: (string | undefined)[] = [];
    const calls = ['a', 'b', 'c'].map((name, i) =>
      storage.run(name, () =>
        i === 1
          ? lock.withWrite(() => {
              seen.push(storage.getStore());
            })
          : lock.withRead(() => {
              seen.push(storage.getStore());
            }),
      ),
    );
    const read = storage.run('d', async () => {
      const guard = await lock.read();
      seen.push(storage.getStore());
      guard.release();
    });
    storage.run('releaser', () => {
      writer.release();
    });
    await Promise.all([...calls, read]);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('RWLock bad input', () => {
  it('throws TypeError naming fn when fn is not a function', () => {
    const lock = new RWLock();
    expect(() => lock.withRead(42 as never)).toThrow(TypeError);
    expect(() => lock.withWrite('x' as never)).toThrow(/`fn`.*"x"/);
  });

  it('throws RangeError naming timeout for a negative, non-finite or too large timeout', async () => {
    const lock = new RWLock();
    for (const timeout of [-1, Number.NaN, Infinity, 2 ** 31]) {
      expect(() => lock.read({ timeout })).toThrow(RangeError);
      expect(() => lock.write({ timeout })).toThrow(/`timeout`/);
    }
    const writer = await lock.write();
    expect(() => lock.read({ timeout: -5 })).toThrow(/`timeout`.*`-5`/);
    expect(() => lock.withRead(() => 1, { timeout: -5 })).toThrow(RangeError);
    expect(lock.waiting).toBe(0);
    writer.release();
  });

  it('throws TypeError naming timeout, signal or options for values of the wrong type', () => {
    const lock = new RWLock();
    expect(() => lock.read(null as never)).toThrow(/`options`.*null/);
    expect(() => lock.withWrite(() => 1, 5 as never)).toThrow(TypeError);
    expect(() => lock.read({ timeout: '10' as never })).toThrow(TypeError);
    expect(() => lock.write({ signal: {} as never })).toThrow(/`signal`/);
    expect(() => lock.withWrite(() => 1, { signal: 'x' as never })).toThrow(TypeError);
  });
});

describe('ClosedError', () => {
  it('has a name, carries its cause and is recognised by brand', () => {
    const error = new ClosedError(undefined, { cause: 'why' });
    expect(error.name).toBe('ClosedError');
    expect(error.message).toBe('The lock is closed');
    expect(error.cause).toBe('why');
    expect(ClosedError.is(error)).toBe(true);
    expect(ClosedError.is(new Error('x'))).toBe(false);
    expect(ClosedError.is(null)).toBe(false);
    const copy = Object.assign(new Error('other copy'), { [Symbol.for('@x/rwlock/ClosedError')]: true });
    expect(ClosedError.is(copy)).toBe(true);
  });
});
