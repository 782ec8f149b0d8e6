// The benchmark runner: see README.md. Usage: node bench/run.mjs [--quick] [suite ...]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';

const here = new URL('./', import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const available = readdirSync(new URL('suites/', here))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const suites = wanted.length > 0 ? wanted : available;
for (const name of suites) {
  if (!available.includes(name)) {
    console.error(`no suite named ${name}: have ${available.join(', ')}`);
    process.exit(1);
  }
}

const rounds = quick ? 2 : 5;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const ratio = (n) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));

function runOne(suite, index, impl) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--no-warnings', new URL('worker.mjs', here).pathname, suite, String(index), impl, quick ? 'quick' : 'full'],
    { cwd: new URL('./', here).pathname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 },
  );
  const line = out.trim().split('\n').pop();
  return JSON.parse(line);
}

const nodeVersion = process.version;
const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
mkdirSync(new URL('results/', here), { recursive: true });

for (const suiteName of suites) {
  const { default: suite } = await import(new URL(`suites/${suiteName}.mjs`, here).href);
  const lines = [`## ${suite.suite}`, ''];
  for (const [index, scenario] of suite.scenarios.entries()) {
    const bytes = scenario.unit === 'bytes';
    const names = Object.keys(scenario.impls);
    if (!bytes && scenario.floor !== false) names.unshift('await floor');
    const results = Object.fromEntries(names.map((n) => [n, []]));
    const metrics = Object.fromEntries(names.map((n) => [n, {}]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order every round so that no implementation always runs first or last.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const impl of order) {
        const r = runOne(suiteName, index, impl);
        results[impl].push(bytes ? r.bytesPerOp : r.nsPerOp);
        for (const [key, value] of Object.entries(r.metrics ?? {})) (metrics[impl][key] ??= []).push(value);
      }
    }
    const value = Object.fromEntries(names.map((n) => [n, median(results[n])]));
    const ours = value[scenario.ours];
    const floorValue = value['await floor'];
    const metricKeys = [...new Set(names.flatMap((n) => Object.keys(metrics[n])))];
    lines.push(`### ${scenario.name}`, '');
    const head = ['implementation', bytes ? 'bytes/op' : 'ns/op'];
    if (!bytes && floorValue !== undefined) head.push('× floor');
    head.push(`${scenario.ours} vs it`, ...metricKeys);
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const n of names) {
      const row = [n === scenario.ours ? `**${n}**` : n, fmt(value[n])];
      if (!bytes && floorValue !== undefined) row.push(ratio(value[n] / floorValue));
      if (n === scenario.ours) row.push('—');
      else if (n === 'await floor') row.push('');
      else if (value[n] >= ours) row.push(`${ratio(value[n] / ours)}× faster`);
      else row.push(`${ratio(ours / value[n])}× slower`);
      for (const key of metricKeys) row.push(metrics[n][key] ? fmt(median(metrics[n][key])) : '');
      lines.push(`| ${row.join(' | ')} |`);
    }
    lines.push('');
    console.log(lines.slice(lines.lastIndexOf(`### ${scenario.name}`)).join('\n'));
  }
  const header = `<!-- ${quick ? 'quick run' : 'full run'}: ${new Date().toISOString()}, Node ${nodeVersion}, ${cpu}, ${os.cpus().length} cores, ${rounds} rounds -->`;
  writeFileSync(new URL(`results/${suiteName}.md`, here), `${header}\n${lines.join('\n')}\n`);
}

// RESULTS.md: every suite's latest table.
const parts = readdirSync(new URL('results/', here))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(new URL(`results/${f}`, here), 'utf8').trim());
const intro = `# Benchmark results

Written by \`pnpm bench\` (bench/run.mjs): each implementation runs in fresh processes, ${rounds} rounds
interleaved, median of the per-process medians. \`× floor\` is ns/op over the bare
\`await Promise.resolve()\` loop of the same run; "x vs it" is how much faster (or slower) ours
is than that implementation in the same run. The comment above each table gives the machine,
the Node version and whether it was a quick run. Shared 2-core machines are noisy: compare
ratios within a table, not absolute numbers across tables.
`;
writeFileSync(new URL('RESULTS.md', here), `${intro}\n${parts.join('\n\n')}\n`);
