// @x/streams: map at concurrency 1 against it-map and a hand-written async generator; map at
// concurrency 8 over simulated I/O against streaming-iterables, ix and p-map; batch(100)
// against streaming-iterables batch and ix buffer. Every pipeline reads an async generator.
import { batch, map, pipe } from '@x/streams';
import itMap from 'it-map';
import { batch as siBatch, map as siMap, parallelMap, transform } from 'streaming-iterables';
import { from } from 'ix/asynciterable';
import { buffer as ixBuffer, flatMap as ixFlatMap, map as ixMap } from 'ix/asynciterable/operators';
import { pMapIterable } from 'p-map';

let sink = 0;

async function* source(ops) {
  for (let i = 0; i < ops; i++) yield i;
}

const inc = (n) => n + 1;

/** Simulated I/O: the callback resolves on a later turn of the event loop. */
const io = (n) =>
  new Promise((resolve) => {
    setImmediate(resolve, n + 1);
  });

async function drain(iterable) {
  for await (const value of iterable) sink += value;
  if (sink < 0) throw new Error('unreachable: keeps the results alive');
}

async function drainBatches(iterable) {
  for await (const values of iterable) sink += values.length;
  if (sink < 0) throw new Error('unreachable: keeps the results alive');
}

export default {
  suite: 'streams',
  scenarios: [
    {
      name: 'map at concurrency 1 (sync callback), per item',
      ops: 200_000,
      ours: 'x map',
      impls: {
        'x map': (ops) => drain(pipe(source(ops), map(inc))),
        'it-map': (ops) => drain(itMap(source(ops), inc)),
        'hand-written async generator': (ops) =>
          drain(
            (async function* () {
              for await (const n of source(ops)) yield inc(n);
            })(),
          ),
        'streaming-iterables map': (ops) => drain(siMap(inc, source(ops))),
        'ix map': (ops) => drain(from(source(ops)).pipe(ixMap(inc))),
      },
    },
    {
      name: 'map at concurrency 8 over simulated I/O (setImmediate), per item',
      ops: 20_000,
      ours: 'x map ordered',
      impls: {
        'x map ordered': (ops) => drain(pipe(source(ops), map(io, { concurrency: 8 }))),
        'x map unordered': (ops) => drain(pipe(source(ops), map(io, { concurrency: 8, ordered: false }))),
        'streaming-iterables parallelMap (ordered)': (ops) => drain(parallelMap(8, io, source(ops))),
        'streaming-iterables transform (unordered)': (ops) => drain(transform(8, io, source(ops))),
        'ix flatMap concurrent 8 (unordered)': (ops) =>
          drain(from(source(ops)).pipe(ixFlatMap(async (n) => [await io(n)], 8))),
        'p-map pMapIterable': (ops) => drain(pMapIterable(source(ops), io, { concurrency: 8 })),
      },
    },
    {
      name: 'batch(100), per item',
      ops: 200_000,
      ours: 'x batch',
      impls: {
        'x batch': (ops) => drainBatches(pipe(source(ops), batch(100))),
        'streaming-iterables batch': (ops) => drainBatches(siBatch(100, source(ops))),
        'ix buffer': (ops) => drainBatches(from(source(ops)).pipe(ixBuffer(100))),
        'hand-written async generator': (ops) =>
          drainBatches(
            (async function* () {
              let items = [];
              for await (const n of source(ops)) {
                items.push(n);
                if (items.length === 100) {
                  yield items;
                  items = [];
                }
              }
              if (items.length > 0) yield items;
            })(),
          ),
      },
    },
  ],
};
