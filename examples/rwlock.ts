// @x/rwlock: many readers or one writer, fair to both, cancellable, with downgrade.
// Run: npx tsx --conditions=@x/source examples/rwlock.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, TimeoutError } from '@x/core';
import { ClosedError, RWLock } from '@x/rwlock';

const t0 = Date.now();
const log = (line: string): void => {
  console.log(`${String(Date.now() - t0).padStart(4)} ms  ${line}`);
};

// A config that request handlers read all the time and a reloader rewrites now and then.
let config = { version: 1, greeting: 'hello' };
const lock = new RWLock();

const handle = (name: string, ms: number): Promise<void> =>
  lock.withRead(async () => {
    log(`${name} reads v${config.version} (${lock.readers} reader(s) inside)`);
    await sleep(ms);
  });

// 1. Readers overlap; a writer that arrives waits for them, and a reader arriving after the
//    writer queues behind it (writers never starve).
const r1 = handle('request A', 40);
const r2 = handle('request B', 40);
await sleep(10);
const reload = (async () => {
  log('reloader asks for the write lock');
  const writing = await lock.write();
  log(`reloader writes (readers inside: ${lock.readers})`);
  await sleep(20);
  config = { version: 2, greeting: 'bonjour' };
  // 2. Downgrade: become a reader in one step, so the queued readers come in with us and no
  //    other writer can slip in before the new config is published.
  const publishing = writing.downgrade();
  log(`reloader downgrades and publishes v${config.version} (${lock.readers} reader(s) inside)`);
  await sleep(20);
  publishing.release();
})();
await sleep(5);
log(`request C arrives while the reloader waits: tryRead() ${lock.tryRead() === undefined ? 'fails' : 'succeeds'}`);
const r3 = handle('request C', 10);
await Promise.all([r1, r2, r3, reload]);

// 3. A wait that takes too long, and a client that disconnects: both leave the queue cleanly,
//    and the reader queued behind the one that left still gets in.
const slowWrite = lock.withWrite(() => sleep(50));
const impatient = lock.read({ timeout: 20 }).catch((error: unknown) => {
  log(`impatient reader gave up: ${TimeoutError.is(error) ? 'TimeoutError' : String(error)}`);
});
const client = new AbortController();
const leaving = lock.write({ signal: client.signal }).catch((error: unknown) => {
  log(`writer left: ${CancelledError.is(error) ? `CancelledError (${String((error as Error).cause)})` : String(error)}`);
});
const patient = handle('request D (queued behind the writer that left)', 5);
await sleep(30);
client.abort('client disconnected');
await Promise.all([slowWrite, impatient, leaving, patient]);

// 4. Shutdown: close() rejects whoever still waits, and every later call.
const holder = await lock.write();
const late = lock.read().catch((error: unknown) => {
  log(`waiting reader at shutdown: ${ClosedError.is(error) ? `ClosedError (${String((error as Error).cause)})` : String(error)}`);
});
lock.close('shutting down');
holder.release();
await late;
log(`after close: read() rejects with ${await lock.read().then(String, (e: unknown) => (e as Error).name)}`);
log(`idle: readers=${lock.readers}, write-locked=${lock.isWriteLocked}, waiting=${lock.waiting}`);
