// @x/streams: a small ETL run. Fetch "pages" four at a time, keep the interesting ones,
// write them in batches, stop early, and finally cancel a run that takes too long: every
// in-flight fetch sees its token cancelled and the source is closed each time.
import { setTimeout as sleep } from 'node:timers/promises';
import { batch, filter, forEach, map, merge, pipe, take, toArray } from '@x/streams';

const opened = new Set<string>();

/** A source that says when it ends (finished or closed early). */
async function* pages(name: string, count: number): AsyncGenerator<number> {
  opened.add(name);
  try {
    for (let id = 1; id <= count; id++) {
      await sleep(1); // reading the next id is I/O too
      yield id;
    }
  } finally {
    opened.delete(name);
    console.log(`  source "${name}" ended`);
  }
}

/** Simulated I/O that honours its cancellation token. */
async function fetchPage(id: number, signal: AbortSignal): Promise<{ id: number; words: number }> {
  await sleep(5 + (id % 3) * 5, undefined, { signal });
  return { id, words: (id * 37) % 100 };
}

console.log('1. fetch 4 at a time, keep pages with more than 30 words, write batches of 3:');
await forEach(
  pipe(
    pages('catalogue', 10),
    map((id: number, token) => fetchPage(id, token.signal), { concurrency: 4 }),
    filter((page) => page.words > 30),
    batch(3, { maxWaitMs: 50 }),
  ),
  (rows) => {
    console.log(`  wrote batch of ${rows.length}: pages ${rows.map((row) => row.id).join(', ')}`);
  },
);

console.log('2. the first 3 pages from two merged sources, then stop (take closes both):');
const firstThree = await toArray(pipe(merge(pages('left', 100), pages('right', 100)), take(3)));
console.log(`  got ${firstThree.length} items; sources still open: ${opened.size}`);

console.log('3. a run cancelled after 30 ms:');
let cancelled = 0;
const controller = new AbortController();
setTimeout(() => {
  controller.abort(new Error('deadline'));
}, 30);
try {
  await forEach(
    pipe(
      pages('archive', 1_000),
      map(
        async (id: number, token) => {
          try {
            return await fetchPage(id, token.signal);
          } catch (error) {
            if (token.isCancelled) cancelled++;
            throw error;
          }
        },
        { concurrency: 4 },
      ),
    ),
    () => undefined,
    { signal: controller.signal },
  );
} catch (error) {
  const { name, cause } = error as Error;
  console.log(`  ${name} (cause: ${(cause as Error).message}); ${cancelled} in-flight fetches cancelled`);
}
console.log(`done; sources still open: ${opened.size}`);
