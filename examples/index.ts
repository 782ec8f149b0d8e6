// `pnpm demo`: runs every example in this folder, one after another, @x/core's first.
import { readdirSync } from 'node:fs';

const files = readdirSync(new URL('./', import.meta.url))
  .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
  .sort((a, b) => (a === 'core.ts' ? -1 : b === 'core.ts' ? 1 : a.localeCompare(b)));

for (const file of files) {
  console.log(`\n━━ examples/${file} ━━`);
  await import(`./${file}`);
}
console.log(`\n${files.length} examples ran.`);
