// @x/supervisor: keep long-running work alive, restart it with backoff, give up when it keeps failing.
// Run: npx tsx --conditions=@x/source examples/supervisor.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { Supervisor, SupervisorError } from '@x/supervisor';

const t0 = Date.now();
const log = (line: string): void => {
  console.log(`${String(Date.now() - t0).padStart(5)} ms  ${line}`);
};

// 1. A flaky poller fails twice, is restarted with exponential backoff, then runs fine.
//    rest-for-one: the reporter started after it is restarted with it; the cache started before is left alone.
const app = new Supervisor({
  strategy: 'rest-for-one',
  maxRestarts: 3,
  withinMs: 5_000,
  backoff: { initialMs: 50, factor: 2, maxMs: 1_000 },
});
app.on('child-started', ({ name }) => { log(`started    ${name}`); });
app.on('child-failed', ({ name, error }) => { log(`failed     ${name}: ${(error as Error).message}`); });
app.on('child-restarted', ({ name }) => { log(`restarted  ${name}`); });
app.on('child-stopped', ({ name }) => { log(`stopped    ${name}`); });

const idle = async (token: { signal: AbortSignal }): Promise<void> => {
  await sleep(60_000, undefined, { signal: token.signal }).catch(() => {});
};
let attempts = 0;
app.start('cache', idle);
app.start('poller', async (token) => {
  attempts++;
  await sleep(20, undefined, { signal: token.signal });
  if (attempts <= 2) throw new Error(`upstream timed out (attempt ${attempts})`);
  await idle(token);
});
app.start('reporter', idle, { restart: 'transient' });

await sleep(300);
log(`status: ${app.children.map((c) => `${c.name}=${c.state}/${c.restarts}`).join(', ')}`);
await app.stop();
await app.done;
log('app supervisor stopped cleanly (children stopped in reverse start order)');

// 2. A child that always fails: more than maxRestarts restarts within withinMs and the supervisor gives up.
const strict = new Supervisor({ maxRestarts: 2, withinMs: 1_000, backoff: { initialMs: 10 } });
strict.on('gave-up', ({ name }) => { log(`gave up because of ${name}`); });
strict.start('broken', () => {
  throw new Error('config file missing');
});
try {
  await strict.done;
} catch (error) {
  if (SupervisorError.is(error)) log(`done rejected: ${error.message}; cause: ${(error.cause as Error).message}`);
}
