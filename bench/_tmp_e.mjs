import { batch, pipe } from '@x/streams';
import { batch as siBatch } from 'streaming-iterables';
async function* source(ops) { for (let i = 0; i < ops; i++) yield i; }
let sink = 0;
async function drainB(it) { for await (const v of it) sink += v.length; }
const N = 50000;
const which = process.argv[2];
const f = which === 'x' ? () => drainB(pipe(source(N), batch(100))) : () => drainB(siBatch(100, source(N)));
const res = [];
for (let r = 0; r < 30; r++) { globalThis.gc(); const t = performance.now(); await f(); res.push((performance.now() - t) * 1e6 / N); }
console.log(which, res.map(x=>x.toFixed(0)).join(' '));
