const which = process.argv[2];
let sink = 0;
const trivial = async () => ++sink;
class G {
  constructor() { this.pending = 0; this.joined = undefined; this.ok = (v) => this.settled(true, v); this.err = (e) => this.settled(false, e); }
  spawn(fn) { const h = { name: undefined, state: 0, result: undefined, waiting: undefined }; this.pending++; const p = fn(); h.result = p; p.then(this.ok, this.err); return h; }
  settled(ok, v) { if (--this.pending === 0 && this.joined) this.joined(); }
  join() { return this.pending === 0 ? undefined : new Promise((r) => (this.joined = r)); }
}
async function mini(ops) { for (let d = 0; d < ops; d += 10000) { const g = new G(); for (let i = 0; i < 10000; i++) g.spawn(trivial); await g.join(); } }
async function pall(ops) { for (let d = 0; d < ops; d += 10000) { const a = new Array(10000); for (let i = 0; i < 10000; i++) a[i] = trivial(); await Promise.all(a); } }
async function nohandle(ops) { for (let d = 0; d < ops; d += 10000) { const g = new G(); for (let i = 0; i < 10000; i++) { g.pending++; trivial().then(g.ok, g.err); } await g.join(); } }
const f = { mini, pall, nohandle }[which];
const until = performance.now() + 300; while (performance.now() < until) await f(100000);
const samples = []; for (let i = 0; i < 9; i++) { gc(); const s = process.cpuUsage(); await f(100000); const u = process.cpuUsage(s); samples.push((u.user + u.system) * 1000 / 100000); }
samples.sort((a, b) => a - b); console.log(which, samples[4].toFixed(0));
