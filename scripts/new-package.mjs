// Writes the boilerplate of one package (package.json, tsconfig, tsup and vitest configs).
// Usage: node scripts/new-package.mjs <name> "<one-line description>"
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';

const [name, description] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>"');
  process.exit(1);
}
const dir = new URL(`../packages/${name}/`, import.meta.url);
mkdirSync(new URL('src/', dir), { recursive: true });
mkdirSync(new URL('test/', dir), { recursive: true });

const pkg = {
  name: `@x/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  files: ['dist'],
  engines: { node: '>=20.19' },
  exports: {
    '.': {
      '@x/source': './src/index.ts',
      types: './dist/index.d.ts',
      default: './dist/index.js',
    },
    './package.json': './package.json',
  },
  publishConfig: {
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
  },
  types: './dist/index.d.ts',
  scripts: { build: 'tsup' },
  ...(name === 'core' ? {} : { dependencies: { '@x/core': 'workspace:^' } }),
  keywords: ['concurrency', 'async', 'cancellation', 'structured-concurrency', name],
};
const write = (file, text) => {
  const url = new URL(file, dir);
  if (!existsSync(url)) writeFileSync(url, text);
};
write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
write(
  'tsconfig.json',
  `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test'] }, null, 2)}\n`,
);
write(
  'tsconfig.build.json',
  `${JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      compilerOptions: { customConditions: [], rootDir: 'src' },
      include: ['src'],
    },
    null,
    2,
  )}\n`,
);
write(
  'tsup.config.ts',
  `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  tsconfig: 'tsconfig.build.json',
});
`,
);
write(
  'vitest.config.ts',
  `import { defineProject } from 'vitest/config';
import { projectDefaults } from '../../test-utils/vitest-project.js';

export default defineProject(projectDefaults('${name}'));
`,
);
write('CHANGELOG.md', `# @x/${name}\n`);
console.log(`packages/${name} ready`);
