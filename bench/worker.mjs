// Runs one implementation of one scenario in this (fresh) process and prints one JSON line:
// { nsPerOp | bytesPerOp, metrics }. Spawned by run.mjs; not meant to be run by hand.
const [suiteName, scenarioIndex, implName, quickFlag] = process.argv.slice(2);
const quick = quickFlag === 'quick';
const { default: suite } = await import(`./suites/${suiteName}.mjs`);
const scenario = suite.scenarios[Number(scenarioIndex)];

async function floor(ops) {
  for (let i = 0; i < ops; i++) await Promise.resolve();
}
const impl = implName === 'await floor' ? floor : scenario.impls[implName];
if (typeof impl !== 'function') throw new Error(`no implementation ${implName} in ${suiteName}/${scenario.name}`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const ops = quick ? Math.max(1, Math.ceil(scenario.ops / 4)) : scenario.ops;
const metrics = {};
const collect = (result) => {
  if (result && typeof result === 'object' && result.metrics) {
    for (const [key, value] of Object.entries(result.metrics)) (metrics[key] ??= []).push(value);
  }
};

if (scenario.unit === 'bytes') {
  // One unmeasured run first: the first objects of a class can be laid out bigger than the
  // rest (before V8 settles the layout of its fields), which is not what a long-lived app sees.
  await impl(ops);
  const samples = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const result = await impl(ops);
    collect(result);
    samples.push(typeof result === 'number' ? result : result.bytesPerOp);
  }
  console.log(JSON.stringify({ bytesPerOp: median(samples), metrics: summarize() }));
} else {
  // Warm up until ~150 ms have passed (at least 2 runs), then sample.
  const warmUntil = performance.now() + (quick ? 50 : 150);
  let warm = 0;
  while (warm < 1 || performance.now() < warmUntil) {
    collect(await impl(ops));
    warm++;
  }
  for (const key of Object.keys(metrics)) metrics[key] = [];
  const samples = [];
  const sampleCount = quick ? 3 : 7;
  // No forced collection before or between samples: gc() throws away optimised code of
  // JavaScript promise code (weak-object deopts) for several samples while built-ins such as
  // Promise.all keep theirs, which skews exactly the comparisons this runner exists for.
  // Slow implementations (seconds per sample) stop after a time budget, with at least 3
  // samples; fast ones always take all of theirs.
  const budgetEnd = performance.now() + (quick ? 500 : 1500);
  for (let i = 0; i < sampleCount; i++) {
    if (i >= 3 && performance.now() > budgetEnd) break;
    const start = process.hrtime.bigint();
    collect(await impl(ops));
    const elapsed = Number(process.hrtime.bigint() - start);
    samples.push(elapsed / ops);
  }
  console.log(JSON.stringify({ nsPerOp: median(samples), metrics: summarize() }));
}

function summarize() {
  const out = {};
  for (const [key, values] of Object.entries(metrics)) out[key] = median(values);
  return out;
}
