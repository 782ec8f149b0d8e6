// @x/executor: an agent step that fans work out in the background and cleans up before it
// reports. Run with: npx tsx --conditions=@x/source examples/executor.ts
import { AsyncLocalStorage } from 'node:async_hooks';
import { CancellationToken, CancelledError, isCancellation } from '@x/core';
import { BackgroundExecutor } from '@x/executor';

const requestId = new AsyncLocalStorage<string>();
const started = Date.now();
const log = (message: string): void => {
  const id = requestId.getStore() ?? '-';
  console.log(`${String(Date.now() - started).padStart(4)} ms  [${id}] ${message}`);
};

/** Waits `ms`, or rejects with CancelledError as soon as the token is cancelled. */
function sleep(ms: number, token: CancellationToken = CancellationToken.none): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registration[Symbol.dispose]();
      resolve();
    }, ms);
    const registration = token.onCancel((reason) => {
      clearTimeout(timer);
      reject(new CancelledError(undefined, { cause: reason }));
    });
  });
}

async function fetchPage(page: number, token: CancellationToken): Promise<string> {
  log(`fetching page ${page}`);
  await sleep(40, token);
  if (page === 3) throw new Error(`page ${page} answered 503`);
  log(`page ${page} done`);
  return `page ${page}`;
}

async function heartbeat(token: CancellationToken): Promise<void> {
  try {
    for (;;) {
      await sleep(30, token);
      log('heartbeat');
    }
  } catch (error) {
    if (isCancellation(error)) log('heartbeat stopped by close()');
    throw error;
  }
}

console.log('1. Three slots: a heartbeat and two page fetches at a time; close() stops the heartbeat.');
await requestId.run('req-1', async () => {
  const executor = new BackgroundExecutor({ maxConcurrency: 3 });
  executor.submit(heartbeat, { name: 'heartbeat', cancelOnExit: true, reraiseOnExit: false });
  const pages = [1, 2, 3, 4].map((page) =>
    requestId.run(`req-1/page-${page}`, () => executor.submit((token) => fetchPage(page, token), { name: `page ${page}` })),
  );
  log(`submitted ${pages.length} fetches; pages 3 and 4 wait at the gate, each in its own context`);
  const results = await Promise.allSettled(pages);
  log(`settled: ${results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed')).join(', ')}`);
  try {
    await executor.close();
  } catch (error) {
    log(`close() stopped the heartbeat, then threw the first failure: ${(error as Error).message}`);
  }
});

console.log('\n2. BackgroundExecutor.run: the body fails, its error wins, tasks still settle first.');
try {
  await BackgroundExecutor.run(async (submit) => {
    submit(async (token) => {
      await sleep(50, token);
      log('slow audit write finished before run() returned');
      throw new Error('audit failed too');
    });
    await sleep(10);
    throw new Error('the step itself failed');
  });
} catch (error) {
  log(`run() threw: ${(error as Error).message}`);
}

console.log('\n3. A signal cancels every task; tasks waiting at the gate never start.');
const controller = new AbortController();
await BackgroundExecutor.run(
  async (submit) => {
    const tasks = [1, 2, 3].map((n) =>
      submit(async (token) => {
        log(`job ${n} started`);
        await sleep(1_000, token);
      }),
    );
    setTimeout(() => {
      log('user pressed stop');
      controller.abort();
    }, 20);
    const outcomes = await Promise.allSettled(tasks);
    log(`jobs: ${outcomes.map((o) => (o.status === 'rejected' && isCancellation(o.reason) ? 'cancelled' : o.status)).join(', ')}`);
  },
  { signal: controller.signal, maxConcurrency: 2 },
);
log('done: nothing left running, nothing unhandled');
