// @x/semaphore: a fair, weighted, cancellable Semaphore and a Mutex.
// Run: npx tsx --conditions=@x/source examples/semaphore.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, TimeoutError } from '@x/core';
import { ClosedError, Mutex, Semaphore } from '@x/semaphore';

const t0 = Date.now();
const log = (line: string): void => {
  console.log(`${String(Date.now() - t0).padStart(4)} ms  ${line}`);
};

// A crawler may have 3 requests in flight; a bulk export counts as 3 (it needs the whole budget).
const budget = new Semaphore(3);
let fetched = 0;
const stats = new Mutex();

const fetchPage = (url: string, ms: number): Promise<void> =>
  budget.run(async (token) => {
    log(`fetch ${url} (${budget.available} permit(s) left, ${budget.waiting} waiting)`);
    await sleep(ms, undefined, { signal: token.signal });
    log(`done ${url}`);
    // The stats update awaits in the middle: the mutex keeps two updates from interleaving.
    await stats.run(async () => {
      const seen = fetched;
      await sleep(1);
      fetched = seen + 1;
    });
  });

// 1. Three pages start at once; the export (weight 3) waits for all of them, and the page
//    queued after it does not overtake it, although a permit frees up first (strict FIFO).
const pages = [fetchPage('/a', 20), fetchPage('/b', 40), fetchPage('/c', 60)];
const exporting = budget.run(
  async () => {
    log(`bulk export runs alone (${budget.available} permits left)`);
    await sleep(20);
  },
  { weight: 3 },
);
const late = fetchPage('/d', 10);
log(`queued: ${budget.waiting} (the export, then /d); tryAcquire() → ${budget.tryAcquire() === undefined ? 'nothing' : 'a permit'}`);
await Promise.all([...pages, exporting, late]);
log(`all done: ${fetched} pages counted, ${budget.available}/${budget.capacity} permits free`);

// 2. A caller that gives up: by signal or by timeout. Nothing is left behind.
const hog = await budget.acquire({ weight: 3 });
const controller = new AbortController();
const impatient = budget.acquire({ signal: controller.signal });
const hurried = budget.acquire({ timeout: 30 });
controller.abort(new Error('user navigated away'));
for (const [name, waiting] of [['impatient', impatient], ['hurried', hurried]] as const) {
  try {
    await waiting;
  } catch (error) {
    if (CancelledError.is(error)) log(`${name} caller cancelled: ${(error.cause as Error).message}`);
    if (TimeoutError.is(error)) log(`${name} caller timed out after 30 ms`);
  }
}
log(`waiting: ${budget.waiting}`);

// 3. More capacity at run time wakes waiters at once.
const extra = budget.acquire({ weight: 2 });
budget.capacity = 5;
(await extra).release();
log(`capacity raised to ${budget.capacity}: the waiter for 2 got in`);

// 4. Shutdown: waiters are rejected with ClosedError; permits held can still be released.
const stuck = budget.acquire({ weight: 5 });
budget.close(new Error('shutting down'));
try {
  await stuck;
} catch (error) {
  if (ClosedError.is(error)) log(`after close: ${error.message} (${(error.cause as Error).message})`);
}
hog.release();
log(`hog released after close: ${budget.available}/${budget.capacity} permits free`);
