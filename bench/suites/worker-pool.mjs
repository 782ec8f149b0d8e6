// @x/worker-pool: N trivial jobs through a 16-worker pool against a hand-written 16-worker
// loop and the npm queues people use for this (p-map, fastq, p-queue), and the memory each
// keeps per job waiting in its queue.
import { WorkerPool } from '@x/worker-pool';
import pMap from 'p-map';
import fastq from 'fastq';
import PQueue from 'p-queue';
import pLimit from 'p-limit';
import { AsyncResource } from 'node:async_hooks';

const CONCURRENCY = 16;
let sink = 0;
const job = async () => ++sink;

/** Heap bytes per job kept by `fill(ops)` (which must keep its jobs queued, not running). */
async function bytesPerJob(ops, fill) {
  const gc = globalThis.gc;
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = await fill(ops);
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / ops;
  await kept.release();
  return bytes;
}

/**
 * The floor for any queue that hands each submitted job a promise of its result: a job record
 * and a pending promise per job, made up front, drained by 16 plain workers. No priorities, no
 * cancellation, no async context, no backpressure. What it costs above the naive loop is the
 * price of 100k live promises (mostly young-generation GC), which no promise-returning
 * `submit` can avoid.
 */
function promisePerJob(ops, withContext = false) {
  const queue = new Array(ops);
  for (let i = 0; i < ops; i++) {
    const record = withContext ? new ContextRecord(job) : { fn: job, resolve: undefined };
    void new Promise((resolve) => {
      record.resolve = resolve;
    });
    queue[i] = record;
  }
  let next = 0;
  const worker = async () => {
    while (next < ops) {
      const record = queue[next];
      queue[next++] = undefined;
      record.resolve(await (withContext ? record.runInAsyncScope(record.fn) : record.fn()));
    }
  };
  const workers = [];
  for (let i = 0; i < CONCURRENCY; i++) workers.push(worker());
  return Promise.all(workers);
}

/**
 * The same floor plus what the issue asks of every queued job: to run in the async context
 * (AsyncLocalStorage) of its submit call. On Node 20 that is an AsyncResource per job, made at
 * submit and entered to start it (x's queued job is its own AsyncResource in the same way).
 */
class ContextRecord extends AsyncResource {
  constructor(fn) {
    super('bench.job');
    this.fn = fn;
    this.resolve = undefined;
  }
}

function* indices(ops) {
  for (let i = 0; i < ops; i++) yield i;
}

export default {
  suite: 'worker-pool',
  scenarios: [
    {
      name: 'trivial jobs at concurrency 16, all submitted up front',
      ops: 100_000,
      ours: 'x WorkerPool.submit',
      impls: {
        'x WorkerPool.submit': async (ops) => {
          const pool = new WorkerPool({ concurrency: CONCURRENCY });
          for (let i = 0; i < ops; i++) void pool.submit(job);
          await pool.onIdle();
        },
        'naive 16-worker loop': async (ops) => {
          let next = 0;
          const worker = async () => {
            while (next < ops) {
              next++;
              await job();
            }
          };
          const workers = [];
          for (let i = 0; i < CONCURRENCY; i++) workers.push(worker());
          await Promise.all(workers);
        },
        'hand-written: one promise per job, then 16 workers': promisePerJob,
        'the same + the submitter\'s async context (AsyncResource per job)': (ops) => promisePerJob(ops, true),
        'p-map': async (ops) => {
          await pMap(indices(ops), job, { concurrency: CONCURRENCY });
        },
        fastq: async (ops) => {
          const queue = fastq.promise(job, CONCURRENCY);
          for (let i = 0; i < ops; i++) void queue.push(i);
          await queue.drained();
        },
        'p-queue': async (ops) => {
          const queue = new PQueue({ concurrency: CONCURRENCY });
          for (let i = 0; i < ops; i++) void queue.add(job);
          await queue.onIdle();
        },
      },
    },
    {
      name: 'trivial jobs at concurrency 16, 16 callers each awaiting submit in a loop',
      ops: 100_000,
      ours: 'x WorkerPool.submit',
      impls: {
        'x WorkerPool.submit': async (ops) => {
          const pool = new WorkerPool({ concurrency: CONCURRENCY });
          let next = 0;
          const caller = async () => {
            while (next < ops) {
              next++;
              await pool.submit(job);
            }
          };
          const callers = [];
          for (let i = 0; i < CONCURRENCY; i++) callers.push(caller());
          await Promise.all(callers);
        },
        'naive 16-worker loop': async (ops) => {
          let next = 0;
          const worker = async () => {
            while (next < ops) {
              next++;
              await job();
            }
          };
          const workers = [];
          for (let i = 0; i < CONCURRENCY; i++) workers.push(worker());
          await Promise.all(workers);
        },
        'p-limit': async (ops) => {
          const limit = pLimit(CONCURRENCY);
          let next = 0;
          const caller = async () => {
            while (next < ops) {
              next++;
              await limit(job);
            }
          };
          const callers = [];
          for (let i = 0; i < CONCURRENCY; i++) callers.push(caller());
          await Promise.all(callers);
        },
        'p-queue': async (ops) => {
          const queue = new PQueue({ concurrency: CONCURRENCY });
          let next = 0;
          const caller = async () => {
            while (next < ops) {
              next++;
              await queue.add(job);
            }
          };
          const callers = [];
          for (let i = 0; i < CONCURRENCY; i++) callers.push(caller());
          await Promise.all(callers);
        },
      },
    },
    {
      name: 'memory per queued job (caller keeps the promise)',
      unit: 'bytes',
      ops: 100_000,
      ours: 'x WorkerPool.submit',
      impls: {
        'x WorkerPool.submit': (ops) =>
          bytesPerJob(ops, (n) => {
            const pool = new WorkerPool({ concurrency: CONCURRENCY });
            pool.pause();
            const promises = [];
            for (let i = 0; i < n; i++) promises.push(pool.submit(job));
            return { release: () => (pool.resume(), Promise.all(promises)) };
          }),
        fastq: (ops) =>
          bytesPerJob(ops, (n) => {
            const queue = fastq.promise(job, CONCURRENCY);
            queue.pause();
            const promises = [];
            for (let i = 0; i < n; i++) promises.push(queue.push(i));
            return { release: () => (queue.resume(), Promise.all(promises)) };
          }),
        'p-queue': (ops) =>
          bytesPerJob(ops, (n) => {
            const queue = new PQueue({ concurrency: CONCURRENCY, autoStart: false });
            const promises = [];
            for (let i = 0; i < n; i++) promises.push(queue.add(job));
            return { release: () => (queue.start(), Promise.all(promises)) };
          }),
        'p-limit': (ops) =>
          bytesPerJob(ops, async (n) => {
            const limit = pLimit(CONCURRENCY);
            let open;
            const gate = new Promise((resolve) => (open = resolve));
            const promises = [];
            for (let i = 0; i < CONCURRENCY; i++) promises.push(limit(() => gate));
            for (let i = 0; i < n; i++) promises.push(limit(job));
            await Promise.resolve();
            return { release: () => (open(), Promise.all(promises)) };
          }),
      },
    },
  ],
};
