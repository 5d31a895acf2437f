#!/usr/bin/env bash
# `npm run bench`: every benchmark, each printing its tables with its ratio to this machine's own
# ceiling measured in the same run, then all their headline rows as one table. Results go to
# BENCHMARKS.md by hand, with this command. BENCH_SYNC_USERS (default here 2000; the bench's own
# default is 10000) keeps a first run on a fresh test bed within a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup/debian-packages.sh bench
[ -d node_modules ] || npm ci --no-audit --no-fund
# The peer of bench/http.bench.ts, apart from Gatehouse's own dependencies.
[ -d bench/peer/node_modules ] || npm ci --prefix bench/peer --no-audit --no-fund
npm run --silent build
export BENCH_SYNC_USERS="${BENCH_SYNC_USERS:-2000}"
export BENCH_SUMMARY; BENCH_SUMMARY="$(mktemp /tmp/gatehouse-bench-rows.XXXXXX)"
trap 'rm -f "$BENCH_SUMMARY"' EXIT
for b in bench/*.bench.ts; do
  echo "== $b"
  node --import tsx "$b"
done
echo "== all benchmarks"
node --import tsx bench/summary.ts "$BENCH_SUMMARY"
