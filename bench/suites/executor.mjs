// @x/executor: what settling every background task on exit costs. 10 000 submits + close against
// bare Promise.all (no ownership, no cancellation) and p-queue (add + onIdle); with
// maxConcurrency 16 against the same work gated by @x/semaphore, p-limit and p-queue.
import { BackgroundExecutor } from '@x/executor';
import { Semaphore } from '@x/semaphore';
import pLimit from 'p-limit';
import PQueue from 'p-queue';

const BATCH = 10_000;
const CONCURRENCY = 16;
let sink = 0;
const trivial = async () => ++sink;

/** Runs `ops` tasks in batches of at most 10 000 (the scenario the issue states). */
async function inBatches(ops, batch) {
  for (let done = 0; done < ops; done += BATCH) await batch(Math.min(BATCH, ops - done));
}

function promiseAll(n, start) {
  const promises = new Array(n);
  for (let i = 0; i < n; i++) promises[i] = start();
  return Promise.all(promises);
}

async function executorBatch(n, options) {
  const executor = new BackgroundExecutor(options);
  for (let i = 0; i < n; i++) executor.submit(trivial);
  await executor.close();
}

async function queueBatch(n, concurrency) {
  const queue = new PQueue({ concurrency });
  for (let i = 0; i < n; i++) void queue.add(trivial);
  await queue.onIdle();
}

/** Bytes per task while `n` tasks are pending in one batch. */
async function pendingBytes(ops, start, finish) {
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const blocked = () => gate;
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const held = start(ops, blocked);
  globalThis.gc();
  globalThis.gc();
  const bytes = (process.memoryUsage().heapUsed - before) / ops;
  release();
  await finish(held);
  return bytes;
}

export default {
  suite: 'executor',
  scenarios: [
    {
      name: '10 000 submits + close (per task)',
      ops: 100_000,
      ours: 'x BackgroundExecutor',
      impls: {
        'x BackgroundExecutor': (ops) => inBatches(ops, (n) => executorBatch(n, undefined)),
        'Promise.all': (ops) => inBatches(ops, (n) => promiseAll(n, trivial)),
        'p-queue add + onIdle': (ops) => inBatches(ops, (n) => queueBatch(n, Infinity)),
      },
    },
    {
      name: `10 000 submits + close at maxConcurrency ${CONCURRENCY} (per task)`,
      ops: 100_000,
      ours: 'x BackgroundExecutor',
      impls: {
        'x BackgroundExecutor': (ops) => inBatches(ops, (n) => executorBatch(n, { maxConcurrency: CONCURRENCY })),
        'x Semaphore.run + Promise.all': (ops) =>
          inBatches(ops, (n) => {
            const semaphore = new Semaphore(CONCURRENCY);
            return promiseAll(n, () => semaphore.run(trivial));
          }),
        'p-limit + Promise.all': (ops) =>
          inBatches(ops, (n) => {
            const limit = pLimit(CONCURRENCY);
            return promiseAll(n, () => limit(trivial));
          }),
        'p-queue add + onIdle': (ops) => inBatches(ops, (n) => queueBatch(n, CONCURRENCY)),
      },
    },
    {
      name: 'memory per pending task (10 000 pending)',
      unit: 'bytes',
      ops: 10_000,
      ours: 'x BackgroundExecutor',
      impls: {
        'x BackgroundExecutor': (ops) =>
          pendingBytes(
            ops,
            (n, blocked) => {
              const executor = new BackgroundExecutor();
              for (let i = 0; i < n; i++) executor.submit(blocked);
              return executor;
            },
            (executor) => executor.close(),
          ),
        'Promise.all': (ops) =>
          pendingBytes(
            ops,
            (n, blocked) => promiseAll(n, blocked),
            (all) => all,
          ),
      },
    },
  ],
};
export { sink };
