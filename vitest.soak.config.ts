import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Leak soaks: each file in its own forked process with `--expose-gc`, so heap growth can be
// measured after a forced collection without other tests' garbage in the way.
export default defineConfig({
  resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] },
    ssr: { resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] } },
  test: {
    name: 'soak',
    include: ['packages/*/test/**/*.soak.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    isolate: true,
    fileParallelism: false,
    testTimeout: 120_000,
    setupFiles: [fileURLToPath(new URL('./test-utils/setup.ts', import.meta.url))],
  },
});
