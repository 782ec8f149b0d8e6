// Package checks for every package: pack it the way it would be published (pnpm applies
// publishConfig, which drops the in-repo `@x/source` export condition), then
//   - publint --strict on the packed tarball,
//   - attw (Are The Types Wrong) on the tarball, ESM-only profile,
//   - install the tarball (and @x/core's) into an empty project and both `import` and
//     `require()` it with this Node (>= 20.19 can require ESM).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const packDir = join(root, '.pack');
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
const only = process.argv.slice(2);
const names = readdirSync(join(root, 'packages')).filter((n) => only.length === 0 || only.includes(n)).sort();
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8' });

const tarballs = {};
for (const name of names) {
  const dir = join(root, 'packages', name);
  const out = run('pnpm', ['pack', '--pack-destination', packDir], dir).trim().split('\n').pop();
  tarballs[name] = out.startsWith('/') ? out : join(packDir, out);
}

let failed = 0;
const step = (label, fn) => {
  try {
    fn();
    console.log(`  ok   ${label}`);
  } catch (error) {
    failed++;
    console.log(`  FAIL ${label}\n${String(error.stdout ?? '')}${String(error.stderr ?? '')}${error.stdout ? '' : error.message}`);
  }
};

for (const name of names) {
  const tarball = tarballs[name];
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  console.log(`@x/${name}`);
  step('publint --strict', () => run(bin('publint'), ['run', tarball, '--strict']));
  step('attw --profile esm-only', () => run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii']));
  step('import and require() from an empty project', () => {
    const project = mkdtempSync(join(tmpdir(), `x-${name}-`));
    try {
      const deps = { [pkg.name]: `file:${tarball}` };
      if (name !== 'core') deps['@x/core'] = `file:${tarballs.core ?? run('pnpm', ['pack', '--pack-destination', packDir], join(root, 'packages', 'core')).trim().split('\n').pop()}`;
      const overrides = name !== 'core' ? { '@x/core': deps['@x/core'] } : {};
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: deps, overrides }));
      run('npm', ['install', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', '--loglevel=error'], project);
      const esm = `import * as m from '${pkg.name}'; if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(Object.keys(m).length);`;
      const cjs = `const m = require('${pkg.name}'); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(Object.keys(m).length);`;
      run(process.execPath, ['--input-type=module', '-e', esm], project);
      run(process.execPath, ['--no-warnings', '-e', cjs], project);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
}
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
console.log(`package checks passed for ${names.length} packages`);
