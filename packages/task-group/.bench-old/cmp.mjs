const which = process.argv[2];
const { TaskGroup } = await import(which === 'old' ? './index.js' : '../dist/index.js');
let sink = 0;
const trivial = async () => ++sink;
async function run(ops) { for (let d = 0; d < ops; d += 10000) await TaskGroup.run((tg) => { for (let i = 0; i < 10000; i++) tg.spawn(trivial); }); }
async function pall(ops) { for (let d = 0; d < ops; d += 10000) { const a = new Array(10000); for (let i = 0; i < 10000; i++) a[i] = trivial(); await Promise.all(a); } }
const f = which === 'pall' ? pall : run;
const until = performance.now() + 300; while (performance.now() < until) await f(100000);
const samples = []; for (let i = 0; i < 9; i++) { gc(); const s = process.cpuUsage(); await f(100000); const u = process.cpuUsage(s); samples.push((u.user + u.system) * 1000 / 100000); }
samples.sort((a, b) => a - b); console.log(which, samples[4].toFixed(0));
