// @x/semaphore against a naive 20-line FIFO semaphore written here (the floor for a fair
// semaphore) and the npm peers async-mutex, async-sema, @henrygd/semaphore and p-limit.
import { Semaphore } from '@x/semaphore';
import { Semaphore as AsyncMutexSemaphore } from 'async-mutex';
import { Sema } from 'async-sema';
import { getSemaphore } from '@henrygd/semaphore';
import pLimit from 'p-limit';

/**
 * The reference floor: a FIFO semaphore as one would write it by hand. A released permit goes
 * straight to the oldest waiter. No weights, no cancellation, no timeouts, no double-release
 * protection.
 */
class NaiveSemaphore {
  constructor(permits) {
    this.permits = permits;
    this.queue = [];
  }
  acquire() {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }
  release() {
    const next = this.queue.shift();
    if (next !== undefined) next();
    else this.permits++;
  }
  async run(fn) {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/**
 * The same, cancellable the way it is usually hand-written: one `abort` listener per waiter,
 * a Set as the queue so that a leaving waiter is removed in O(1).
 */
class NaiveAbortableSemaphore {
  constructor(permits) {
    this.permits = permits;
    this.queue = new Set();
  }
  acquire(signal) {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.queue.delete(waiter);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.add(waiter);
    });
  }
}

const nothing = () => undefined;
const oneTick = () => Promise.resolve();

/** How each implementation takes one permit and gives it back; `run` wraps a function. */
const semaphores = {
  x: (permits) => {
    const semaphore = new Semaphore(permits);
    return {
      acquire: () => semaphore.acquire(),
      release: (permit) => permit.release(),
      run: (fn) => semaphore.run(fn),
    };
  },
  naive: (permits) => {
    const semaphore = new NaiveSemaphore(permits);
    return { acquire: () => semaphore.acquire(), release: () => semaphore.release(), run: (fn) => semaphore.run(fn) };
  },
  'async-mutex': (permits) => {
    const semaphore = new AsyncMutexSemaphore(permits);
    return {
      acquire: () => semaphore.acquire(),
      release: ([, release]) => release(),
      run: (fn) => semaphore.runExclusive(fn),
    };
  },
  'async-sema': (permits) => {
    const semaphore = new Sema(permits);
    const run = async (fn) => {
      await semaphore.acquire();
      try {
        return await fn();
      } finally {
        semaphore.release();
      }
    };
    return { acquire: () => semaphore.acquire(), release: () => semaphore.release(), run };
  },
  '@henrygd/semaphore': (permits) => {
    const semaphore = getSemaphore(Symbol(), permits);
    const run = async (fn) => {
      await semaphore.acquire();
      try {
        return await fn();
      } finally {
        semaphore.release();
      }
    };
    return { acquire: () => semaphore.acquire(), release: () => semaphore.release(), run };
  },
  'p-limit': (permits) => {
    const limit = pLimit(permits);
    return { run: (fn) => limit(fn) };
  },
};

/**
 * Not a semaphore anyone should use, but the fewest promises a queued `run()` can cost: the
 * releasing task starts the next waiter's function itself, so there is no wake-up promise and
 * no suspended async function per waiter. The price is that the function runs in the async
 * context of whoever released (AsyncLocalStorage values of the wrong request) and inside
 * another task's completion handler. The issue requires the caller's context, so x pays for
 * one wake-up promise per waiter; this row shows what that costs.
 */
class ReleaserStartsNext {
  constructor(permits) {
    this.permits = permits;
    this.head = null;
    this.tail = null;
    this.release = () => {
      const waiter = this.head;
      if (waiter === null) {
        this.permits++;
        return;
      }
      this.head = waiter.next;
      if (this.head === null) this.tail = null;
      this.start(waiter.fn, waiter.resolve, waiter.reject);
    };
  }
  start(fn, resolve, reject) {
    let result;
    try {
      result = fn();
    } catch (error) {
      reject(error);
      this.release();
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        this.release();
        resolve(value);
      },
      (error) => {
        this.release();
        reject(error);
      },
    );
  }
  run(fn) {
    return new Promise((resolve, reject) => {
      if (this.permits > 0 && this.head === null) {
        this.permits--;
        this.start(fn, resolve, reject);
        return;
      }
      const waiter = { fn, resolve, reject, next: null };
      if (this.tail === null) this.head = waiter;
      else this.tail.next = waiter;
      this.tail = waiter;
    });
  }
}

const withAcquire = Object.entries(semaphores).filter(([name]) => name !== 'p-limit');

/** Sequential acquire + release on an idle semaphore. */
function uncontendedAcquire(make) {
  return async (ops) => {
    const semaphore = make(4);
    for (let i = 0; i < ops; i++) semaphore.release(await semaphore.acquire());
  };
}

/** Sequential run() of a synchronous function on an idle semaphore. */
function uncontendedRun(make) {
  return async (ops) => {
    const semaphore = make(4);
    for (let i = 0; i < ops; i++) await semaphore.run(nothing);
  };
}

/** Batches of 1000 tasks, each holding a permit across one tick, through 10 permits. */
function contended(make) {
  return async (ops) => {
    const semaphore = make(10);
    for (let done = 0; done < ops; done += 1000) {
      const batch = Math.min(1000, ops - done);
      const tasks = new Array(batch);
      for (let i = 0; i < batch; i++) tasks[i] = semaphore.run(oneTick);
      await Promise.all(tasks);
    }
  };
}

function gc() {
  globalThis.gc();
  globalThis.gc();
}

/** Heap bytes per acquire() (or queued call) waiting behind a held permit. */
function memoryPerWaiter(make) {
  return async (ops) => {
    const semaphore = make(1);
    const queue = semaphore.acquire ? () => semaphore.acquire() : () => semaphore.run(nothing);
    if (semaphore.acquire) await semaphore.acquire();
    else void semaphore.run(() => new Promise(nothing));
    const waiters = new Array(ops);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ops; i++) waiters[i] = queue();
    gc();
    const bytes = (process.memoryUsage().heapUsed - before) / ops;
    // Keep both alive until measured.
    if (waiters.length !== ops || semaphore === undefined) throw new Error('unreachable');
    return bytes;
  };
}

export default {
  suite: 'semaphore',
  scenarios: [
    {
      name: 'uncontended acquire + release',
      ops: 100_000,
      ours: 'x',
      impls: Object.fromEntries(withAcquire.map(([name, make]) => [name, uncontendedAcquire(make)])),
    },
    {
      name: 'uncontended run()',
      ops: 100_000,
      ours: 'x',
      impls: Object.fromEntries(Object.entries(semaphores).map(([name, make]) => [name, uncontendedRun(make)])),
    },
    {
      name: 'contended: 1000 tasks through 10 permits',
      ops: 20_000,
      ours: 'x',
      impls: {
        ...Object.fromEntries(Object.entries(semaphores).map(([name, make]) => [name, contended(make)])),
        'hand-written, releaser starts the next fn (no caller context)': contended((permits) => {
          const semaphore = new ReleaserStartsNext(permits);
          return { run: (fn) => semaphore.run(fn) };
        }),
      },
    },
    {
      name: 'memory per queued acquire() waiter',
      unit: 'bytes',
      ops: 100_000,
      ours: 'x',
      floor: false,
      impls: Object.fromEntries(Object.entries(semaphores).map(([name, make]) => [name, memoryPerWaiter(make)])),
    },
    {
      name: 'abort 1e5 waiters sharing one signal (enqueue + abort + settle, per waiter)',
      ops: 100_000,
      ours: 'x',
      impls: {
        x: async (ops) => {
          const semaphore = new Semaphore(1);
          const held = semaphore.tryAcquire();
          const controller = new AbortController();
          const options = { signal: controller.signal };
          const waiters = new Array(ops);
          for (let i = 0; i < ops; i++) waiters[i] = semaphore.acquire(options);
          controller.abort();
          await Promise.allSettled(waiters);
          held.release();
        },
        // One listener per waiter makes addEventListener O(n) (duplicate check): 1e5 waiters on
        // one signal take minutes, so this one aborts them 1e3 per signal.
        'naive + abort listeners (1e3 per signal)': async (ops) => {
          for (let done = 0; done < ops; done += 1_000) {
            const batch = Math.min(1_000, ops - done);
            const semaphore = new NaiveAbortableSemaphore(1);
            await semaphore.acquire();
            const controller = new AbortController();
            const waiters = new Array(batch);
            for (let i = 0; i < batch; i++) waiters[i] = semaphore.acquire(controller.signal);
            controller.abort();
            await Promise.allSettled(waiters);
          }
        },
        'async-mutex (cancel())': async (ops) => {
          const semaphore = new AsyncMutexSemaphore(1);
          await semaphore.acquire();
          const waiters = new Array(ops);
          for (let i = 0; i < ops; i++) waiters[i] = semaphore.acquire();
          semaphore.cancel();
          await Promise.allSettled(waiters);
        },
      },
    },
  ],
};
