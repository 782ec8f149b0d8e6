import suite from './suites/semaphore.mjs';
const idx = Number(process.argv[2] ?? 2);
const sc = suite.scenarios[idx];
const names = process.argv.slice(3).length ? process.argv.slice(3) : Object.keys(sc.impls);
const best = Object.fromEntries(names.map((n) => [n, Infinity]));
const ops = sc.ops;
for (let r = 0; r < 15; r++) {
  for (const n of names) {
    const t = process.hrtime.bigint();
    await sc.impls[n](ops);
    const ns = Number(process.hrtime.bigint() - t) / ops;
    if (r > 2) best[n] = Math.min(best[n], ns);
  }
}
console.log(sc.name, Object.entries(best).map(([n, v]) => `${n}=${v.toFixed(0)}`).join(' '));
