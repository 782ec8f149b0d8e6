#!/usr/bin/env bash
# Runs the unit, property and type tests on Node 22 and 24 too. The binaries come from the npm
# registry's `node` package (aliased, pinned), installed into .compat/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=(22.23.3 24.21.0)
dir=.compat
need=0
for v in "${versions[@]}"; do
  [ -x "$dir/node_modules/node${v%%.*}/bin/node" ] || need=1
done
if [ "$need" = 1 ]; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{ "name": "x-compat", "private": true }' > "$dir/package.json"
  specs=()
  for v in "${versions[@]}"; do specs+=("node${v%%.*}@npm:node@$v"); done
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${specs[@]}"
fi
for v in "${versions[@]}"; do
  bin="$dir/node_modules/node${v%%.*}/bin/node"
  echo "== tests on Node $("$bin" --version)"
  # The type tests are the same tsc run on every Node: they run once, in `pnpm test:unit`.
  "$bin" node_modules/vitest/vitest.mjs run --project "!types" --reporter=dot
done
