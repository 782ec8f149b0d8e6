import { defineProject } from 'vitest/config';

// Type tests (`expectTypeOf`, `@ts-expect-error`) of every package, checked by tsc in one pass.
export default defineProject({
  resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['@x/source', 'module', 'node', 'development|production'] } },
  test: {
    name: 'types',
    include: [],
    typecheck: {
      enabled: true,
      only: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
