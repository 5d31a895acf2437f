#!/usr/bin/env bash
# `npm run bench`: every benchmark, each printing a table and its ratio to this machine's own
# ceiling measured in the same run. Results go to BENCHMARKS.md by hand, with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup/debian-packages.sh bench
[ -d node_modules ] || npm ci --no-audit --no-fund
for b in bench/*.bench.ts; do
  echo "== $b"
  node --import tsx "$b"
done
