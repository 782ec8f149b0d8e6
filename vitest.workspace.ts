// The one list of test projects: every package's own vitest.config.ts (behaviour, property
// and race tests), plus one project that type-checks every package's *.test-d.ts.
export default ['packages/*', './vitest.types.config.ts'];
