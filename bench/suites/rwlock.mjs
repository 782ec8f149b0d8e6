// @x/rwlock against a naive fair reader–writer lock written here (the floor for a lock with
// this fairness), and the npm peers rwlock, async-rwlock and @rocicorp/lock.
import { RWLock } from '@x/rwlock';
import ReadWriteLock from 'rwlock';
import asyncRwlock from 'async-rwlock';
import { RWLock as RocicorpRWLock } from '@rocicorp/lock';

/**
 * The reference floor: a fair rwlock as one would write it by hand in 20 lines. One FIFO
 * queue; a waiting writer blocks later readers; a releasing writer lets in every reader up to
 * the next writer. No cancellation, no timeouts, no double-release protection.
 */
class NaiveFairRWLock {
  readers = 0;
  writer = false;
  queue = [];
  releaseRead = () => {
    if (--this.readers === 0) this.next();
  };
  releaseWrite = () => {
    this.writer = false;
    this.next();
  };
  read() {
    if (!this.writer && this.queue.length === 0) {
      this.readers++;
      return Promise.resolve(this.releaseRead);
    }
    return new Promise((resolve) => this.queue.push({ write: false, resolve }));
  }
  write() {
    if (!this.writer && this.readers === 0 && this.queue.length === 0) {
      this.writer = true;
      return Promise.resolve(this.releaseWrite);
    }
    return new Promise((resolve) => this.queue.push({ write: true, resolve }));
  }
  next() {
    while (!this.writer && this.queue.length > 0) {
      const head = this.queue[0];
      if (head.write) {
        if (this.readers > 0) return;
        this.queue.shift();
        this.writer = true;
        head.resolve(this.releaseWrite);
        return;
      }
      this.queue.shift();
      this.readers++;
      head.resolve(this.releaseRead);
    }
  }
}

const call = (release) => release();

/** How each implementation takes and gives back a read and a write lock. */
const locks = {
  x: () => {
    const lock = new RWLock();
    const release = (guard) => guard.release();
    return { read: () => lock.read(), write: () => lock.write(), releaseRead: release, releaseWrite: release };
  },
  'naive fair rwlock': () => {
    const lock = new NaiveFairRWLock();
    return { read: () => lock.read(), write: () => lock.write(), releaseRead: call, releaseWrite: call };
  },
  rwlock: () => {
    const lock = new ReadWriteLock();
    return {
      read: () => new Promise((resolve) => lock.readLock(resolve)),
      write: () => new Promise((resolve) => lock.writeLock(resolve)),
      releaseRead: call,
      releaseWrite: call,
    };
  },
  'async-rwlock': () => {
    const lock = new asyncRwlock.RWLock();
    const unlock = () => lock.unlock();
    return { read: () => lock.readLock(), write: () => lock.writeLock(), releaseRead: unlock, releaseWrite: unlock };
  },
  '@rocicorp/lock': () => {
    const lock = new RocicorpRWLock();
    return { read: () => lock.read(), write: () => lock.write(), releaseRead: call, releaseWrite: call };
  },
};

function uncontended(kind) {
  return Object.fromEntries(
    Object.entries(locks).map(([name, make]) => [
      name,
      async (ops) => {
        const lock = make();
        const acquire = kind === 'read' ? lock.read : lock.write;
        const release = kind === 'read' ? lock.releaseRead : lock.releaseWrite;
        for (let i = 0; i < ops; i++) release(await acquire());
      },
    ]),
  );
}

const WORKERS = 100;

/**
 * 100 tasks loop over the lock; every tenth acquisition is a write. Each holds the lock for one
 * `await` (enough for other readers to come in). Checks exclusion and reports how many readers
 * held the lock at once at the peak.
 */
function mixed() {
  return Object.fromEntries(
    Object.entries(locks).map(([name, make]) => [
      name,
      async (ops) => {
        const lock = make();
        let readers = 0;
        let writers = 0;
        let peak = 0;
        let started = 0;
        const perWorker = Math.ceil(ops / WORKERS);
        const worker = async () => {
          for (let i = 0; i < perWorker; i++) {
            if (started++ % 10 === 0) {
              const held = await lock.write();
              if (readers !== 0 || writers !== 0) throw new Error(`${name}: a writer entered beside others`);
              writers++;
              await Promise.resolve();
              writers--;
              lock.releaseWrite(held);
            } else {
              const held = await lock.read();
              if (writers !== 0) throw new Error(`${name}: a reader entered beside a writer`);
              if (++readers > peak) peak = readers;
              await Promise.resolve();
              readers--;
              lock.releaseRead(held);
            }
          }
        };
        await Promise.all(Array.from({ length: WORKERS }, worker));
        return { metrics: { 'peak readers': peak } };
      },
    ]),
  );
}

export default {
  suite: 'rwlock',
  scenarios: [
    { name: 'uncontended read + release', ops: 200_000, ours: 'x', impls: uncontended('read') },
    { name: 'uncontended write + release', ops: 200_000, ours: 'x', impls: uncontended('write') },
    { name: '90% read / 10% write, 100 tasks', ops: 50_000, ours: 'x', impls: mixed() },
  ],
};
