// A profile cache in front of a slow, flaky API: concurrent requests for one user share one
// fetch, a request that gives up leaves the others alone, a failure is not cached, and an
// expired profile is served stale while one background refresh fetches the new one.
import { AsyncCache } from '@x/cache';
import { CancelledError, type CancellationToken } from '@x/core';

interface Profile {
  readonly id: string;
  readonly version: number;
}

let version = 0;
let failNext = false;

/** The "API": answers after `ms`, or gives up at once when its token is cancelled. */
function fetchProfile(id: string, token: CancellationToken, ms = 40): Promise<Profile> {
  console.log(`  api: GET /profiles/${id}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registration[Symbol.dispose]();
      if (failNext) {
        failNext = false;
        reject(new Error('502 Bad Gateway'));
      } else resolve({ id, version: ++version });
    }, ms);
    const registration = token.onCancel((reason) => {
      clearTimeout(timer);
      console.log(`  api: request for ${id} cancelled, nobody is waiting any more`);
      reject(new CancelledError(undefined, { cause: reason }));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const profiles = new AsyncCache<string, Profile>({ max: 100, ttlMs: 100, staleWhileRevalidateMs: 1_000 });

console.log('1. three requests for ada at once share one fetch:');
const shared = await Promise.all([1, 2, 3].map(() => profiles.getOrSet('ada', (id, token) => fetchProfile(id, token))));
console.log(`   all three got version ${shared.map((p) => p.version).join(', ')}`);

console.log('2. two requests for bob; the impatient one gives up after 10 ms:');
const impatient = new AbortController();
const patientRequest = profiles.getOrSet('bob', (id, token) => fetchProfile(id, token));
const impatientRequest = profiles.getOrSet('bob', (id, token) => fetchProfile(id, token), { signal: impatient.signal });
setTimeout(() => {
  impatient.abort(new Error('client disconnected'));
}, 10);
const [impatientResult, patientResult] = await Promise.allSettled([impatientRequest, patientRequest]);
console.log(`   impatient: ${impatientResult.status === 'rejected' ? (impatientResult.reason as Error).name : 'value'}`);
console.log(`   patient: got bob version ${patientResult.status === 'fulfilled' ? patientResult.value.version : '?'}`);

console.log('3. a lone request for cyd gives up: the fetch itself is cancelled:');
const alone = new AbortController();
const lone = profiles.getOrSet('cyd', (id, token) => fetchProfile(id, token), { signal: alone.signal });
alone.abort();
await lone.catch((error: unknown) => {
  console.log(`   the request rejected with ${(error as Error).name}`);
});

console.log('4. a failed fetch is not cached: the next request fetches again:');
failNext = true;
await profiles.getOrSet('dan', (id, token) => fetchProfile(id, token)).catch((error: unknown) => {
  console.log(`   first try: ${(error as Error).message}`);
});
const dan = await profiles.getOrSet('dan', (id, token) => fetchProfile(id, token));
console.log(`   second try: dan version ${dan.version}`);

console.log('5. 100 ms later ada has expired: served stale, refreshed once in the background:');
await sleep(110);
const stale = await profiles.getOrSet('ada', (id, token) => fetchProfile(id, token, 20));
console.log(`   served version ${stale.version} at once`);
await sleep(30);
console.log(`   after the refresh: version ${profiles.get('ada')?.version ?? '?'}`);

const { hits, misses, loads, evictions } = profiles.stats;
console.log(`stats: ${hits} hits, ${misses} misses, ${loads} loads, ${evictions} evictions; ${profiles.size} profiles held`);
