// A cancellation tree at work: one request owns a source; each sub-task gets a child source.
// Cancelling the request (here: its deadline) cancels every sub-task at once, with one reason;
// a sub-task that finishes early detaches its child source so nothing is left registered.
import { CancellationSource, type CancellationToken, isCancellation, TimeoutError } from '@x/core';

const sleep = (ms: number, token: CancellationToken): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registration[Symbol.dispose]();
      resolve();
    }, ms);
    const registration = token.onCancel((reason) => {
      clearTimeout(timer);
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    });
  });

async function subTask(name: string, ms: number, parent: CancellationToken): Promise<string> {
  using source = new CancellationSource(parent); // detached from the parent when the task ends
  source.token.onCancel((reason) => {
    console.log(`  ${name}: cancelled (${(reason as Error).name}), cleaning up`);
  });
  await sleep(ms, source.token);
  console.log(`  ${name}: done after ${ms} ms`);
  return name;
}

const request = new CancellationSource();
const deadline = setTimeout(() => {
  request.cancel(new TimeoutError('request deadline of 50 ms passed'));
}, 50);

console.log('request starts three sub-tasks (10 ms, 30 ms, 500 ms) with a 50 ms deadline');
const results = await Promise.allSettled([
  subTask('fetch-user', 10, request.token),
  subTask('fetch-orders', 30, request.token),
  subTask('render-report', 500, request.token),
]);
clearTimeout(deadline);

for (const result of results) {
  if (result.status === 'fulfilled') console.log(`  ✓ ${result.value}`);
  else console.log(`  ✗ ${(result.reason as Error).message} (a cancellation? ${isCancellation(result.reason)})`);
}
console.log(`request token cancelled: ${request.token.isCancelled}, reason: ${(request.token.reason as Error).name}`);
