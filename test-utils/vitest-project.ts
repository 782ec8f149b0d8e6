import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const setup = fileURLToPath(new URL('./setup.ts', import.meta.url));

/** The test project every package uses: source condition, shared leak/rejection guard. */
export function projectDefaults(name: string): ViteUserConfig {
  return {
    resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] },
    ssr: { resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      setupFiles: [setup],
      testTimeout: 30_000,
    },
  };
}
