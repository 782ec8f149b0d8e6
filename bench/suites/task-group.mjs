// @x/task-group: what structure costs. Spawning and joining trivial tasks in a TaskGroup against
// bare Promise.all (no structure at all) and effection v3/v4 (structured, generator based);
// map at concurrency 16 against p-map and a hand-written 16-worker loop; a concurrency-limited
// group against p-limit.
import { map, TaskGroup } from '@x/task-group';
import { run as run3, spawn as spawn3 } from 'effection3';
import { run as run4, spawn as spawn4 } from 'effection4';
import pMap from 'p-map';
import pLimit from 'p-limit';

const GROUP = 10_000;
const CONCURRENCY = 16;
let sink = 0;
const trivial = async () => ++sink;
const double = async (n) => n * 2;
// eslint-disable-next-line require-yield -- a trivial task: it has nothing to wait for
function* trivialOperation() {
  return ++sink;
}

/** Runs `ops` tasks in groups of at most 10 000 (the scenario the issue states). */
async function inGroups(ops, group) {
  for (let done = 0; done < ops; done += GROUP) await group(Math.min(GROUP, ops - done));
}

function spawnAll(n) {
  return TaskGroup.run((tg) => {
    for (let i = 0; i < n; i++) tg.spawn(trivial);
  });
}

function promiseAll(n) {
  const promises = new Array(n);
  for (let i = 0; i < n; i++) promises[i] = trivial();
  return Promise.all(promises);
}

function items(ops) {
  return Array.from({ length: ops }, (_, i) => i);
}

export default {
  suite: 'task-group',
  scenarios: [
    {
      // Many groups per sample: after a full GC (the runner collects once before sampling) V8
      // drops the optimised code of userland promise code, not of the Promise.all builtin, and
      // the next groups run unoptimised; 100 groups per sample spread that warm-up fairly.
      name: 'spawn + join 10 000 trivial tasks, 100 groups per sample (per task)',
      ops: 1_000_000,
      ours: 'x TaskGroup',
      impls: {
        'x TaskGroup': (ops) => inGroups(ops, spawnAll),
        'Promise.all': (ops) => inGroups(ops, promiseAll),
      },
    },
    {
      name: 'spawn + join 10 000 trivial tasks against effection (per task)',
      ops: 10_000,
      ours: 'x TaskGroup',
      impls: {
        'x TaskGroup': (ops) => inGroups(ops, spawnAll),
        'Promise.all': (ops) => inGroups(ops, promiseAll),
        'effection v3': (ops) =>
          inGroups(ops, (n) =>
            run3(function* () {
              const tasks = new Array(n);
              for (let i = 0; i < n; i++) tasks[i] = yield* spawn3(trivialOperation);
              for (const task of tasks) yield* task;
            }),
          ),
        'effection v4': (ops) =>
          inGroups(ops, (n) =>
            run4(function* () {
              const tasks = new Array(n);
              for (let i = 0; i < n; i++) tasks[i] = yield* spawn4(trivialOperation);
              for (const task of tasks) yield* task;
            }),
          ),
      },
    },
    {
      name: 'map 100 000 items at concurrency 16 (per item)',
      ops: 100_000,
      ours: 'x map',
      impls: {
        'x map': async (ops) => {
          const results = await map(items(ops), double, { concurrency: CONCURRENCY });
          sink += results.length;
        },
        'p-map': async (ops) => {
          const results = await pMap(items(ops), double, { concurrency: CONCURRENCY });
          sink += results.length;
        },
        'hand-written 16 workers': async (ops) => {
          const input = items(ops);
          const results = new Array(ops);
          let next = 0;
          const worker = async () => {
            while (next < input.length) {
              const index = next++;
              results[index] = await double(input[index]);
            }
          };
          await Promise.all(Array.from({ length: CONCURRENCY }, worker));
          sink += results.length;
        },
      },
    },
    {
      name: 'spawn + join 10 000 tasks, 16 at a time (per task)',
      ops: 100_000,
      ours: 'x TaskGroup maxConcurrency',
      impls: {
        'x TaskGroup maxConcurrency': (ops) =>
          inGroups(ops, (n) =>
            TaskGroup.run(
              (tg) => {
                for (let i = 0; i < n; i++) tg.spawn(trivial);
              },
              { maxConcurrency: CONCURRENCY },
            ),
          ),
        'p-limit + Promise.all': (ops) =>
          inGroups(ops, (n) => {
            const limit = pLimit(CONCURRENCY);
            const promises = new Array(n);
            for (let i = 0; i < n; i++) promises[i] = limit(trivial);
            return Promise.all(promises);
          }),
      },
    },
  ],
};
