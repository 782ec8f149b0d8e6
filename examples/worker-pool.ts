// @x/worker-pool: a small image-resizing service. Two workers, a bounded queue, priorities,
// a job cancelled while queued, one cancelled while running, and a shutdown that drains.
// Run: npx tsx --conditions=@x/source examples/worker-pool.ts
import { AsyncLocalStorage } from 'node:async_hooks';
import { CancelledError, type CancellationToken } from '@x/core';
import { ClosedError, WorkerPool } from '@x/worker-pool';

const request = new AsyncLocalStorage<string>();
const started = Date.now();
const log = (line: string): void => {
  console.log(`${String(Date.now() - started).padStart(4)} ms  ${line}`);
};

/** Pretend work: waits `ms`, or stops early (clearing its timer) when the token is cancelled. */
function resize(name: string, ms: number, token: CancellationToken): Promise<string> {
  log(`  start ${name} (for request ${request.getStore() ?? '-'})`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registration[Symbol.dispose]();
      log(`  done  ${name}`);
      resolve(`${name}@2x`);
    }, ms);
    const registration = token.onCancel((reason) => {
      clearTimeout(timer);
      log(`  stop  ${name}: its token was cancelled`);
      reject(new CancelledError(undefined, { cause: reason }));
    });
  });
}

const pool = new WorkerPool({ concurrency: 2, maxQueue: 4 });

log('submit 6 jobs to 2 workers, each in its own request context; "thumbnail" has a higher priority');
const jobs = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png'].map((name, i) =>
  request.run(`req-${i + 1}`, () => pool.submit((token) => resize(name, 40, token))),
);
const thumbnail = pool.submit((token) => resize('thumbnail.png', 10, token), { priority: 10 });
log(`running: ${pool.running}, queued: ${pool.size}`);

log('the queue (maxQueue 4) is full: one more submit waits for room, and its caller gives up: it never runs');
const giveUp = new AbortController();
const late = pool.submit((token) => resize('late.png', 10, token), { signal: giveUp.signal });
giveUp.abort('client went away');
await late.catch((error: unknown) => {
  log(`late.png -> ${(error as Error).name} (${String((error as Error).cause)})`);
});

log('a slow job gets cancelled while it runs: its token fires and it stops');
const slow = new AbortController();
const huge = pool.submit((token) => resize('huge.png', 5_000, token), { signal: slow.signal });
setTimeout(() => {
  slow.abort('took too long');
}, 150);

const results = await Promise.all([...jobs, thumbnail]);
log(`results in submit order: ${results.join(', ')}`);
await huge.catch((error: unknown) => {
  log(`huge.png -> ${(error as Error).name}`);
});

log('concurrency goes up to 4 at run time; then the pool closes and drains');
pool.concurrency = 4;
const last = [pool.submit((token) => resize('f.png', 20, token)), pool.submit((token) => resize('g.png', 20, token))];
await pool.close();
log(`closed with ${String((await Promise.all(last)).length)} last jobs done`);
await pool.submit(() => 'too late').catch((error: unknown) => {
  log(`submit after close -> ${ClosedError.is(error) ? 'ClosedError' : String(error)}`);
});
