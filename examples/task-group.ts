// @x/task-group in a few scenes: a fan-out that fails and cleans up before it reports, a
// bounded map over a lazy source, and a race between two mirrors whose loser is cancelled.
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, type CancellationToken } from '@x/core';
import { any, map, race, TaskGroup, TaskGroupError } from '@x/task-group';

/** A pretend download: takes `ms`, stops early (and says so) when its token is cancelled. */
async function download(name: string, ms: number, token: CancellationToken): Promise<string> {
  try {
    await sleep(ms, undefined, { signal: token.signal });
  } catch (error) {
    console.log(`  ${name}: cancelled, cleaned up`);
    throw new CancelledError(`${name} stopped`, { cause: error });
  }
  if (name === 'broken.example') throw new Error(`${name} answered 500`);
  console.log(`  ${name}: done in ${ms} ms`);
  return `<html>${name}</html>`;
}

console.log('1. Fan out three downloads; one fails, so the group cancels the rest and waits for them:');
try {
  await TaskGroup.run((tg) => {
    tg.spawn((token) => download('fast.example', 10, token));
    tg.spawn((token) => download('broken.example', 30, token));
    tg.spawn((token) => download('slow.example', 1_000, token));
  });
} catch (error) {
  if (!TaskGroupError.is(error)) throw error;
  console.log(`  the group reports: ${error.message}`);
}

console.log('\n2. Map a lazy source 2 at a time; results come back in input order:');
function* pages(): Generator<number> {
  for (let page = 1; page <= 5; page++) {
    console.log(`  pulled page ${page}`);
    yield page;
  }
}
const sizes = await map(
  pages(),
  async (page, token) => {
    await sleep(40 - page * 5, undefined, { signal: token.signal });
    console.log(`  finished page ${page}`);
    return page * 100;
  },
  { concurrency: 2 },
);
console.log(`  sizes: ${sizes.join(', ')}`);

console.log('\n3. Race two mirrors; the slower one is cancelled and awaited before race returns:');
const body = await race([
  (token) => download('mirror-a.example', 20, token),
  (token) => download('mirror-b.example', 500, token),
]);
console.log(`  race returned ${body}`);

console.log('\n4. any: the first success wins, failures before it are forgiven:');
const config = await any([
  async () => {
    await sleep(5);
    throw new Error('no local config');
  },
  async (token) => {
    await sleep(15, undefined, { signal: token.signal });
    return '{"retries":3}';
  },
]);
console.log(`  config: ${config}`);

console.log('\n5. A caller that gives up: the signal cancels every task and the group throws CancelledError:');
const controller = new AbortController();
setTimeout(() => {
  controller.abort();
}, 25);
try {
  await TaskGroup.run(
    (tg) => {
      for (const name of ['one.example', 'two.example']) tg.spawn((token) => download(name, 1_000, token));
    },
    { signal: controller.signal },
  );
} catch (error) {
  console.log(`  caught ${(error as Error).name}: nothing is left running`);
}
