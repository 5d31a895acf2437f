#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds, starts the shared
# Samba AD test bed, runs every test under node's own runner, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup/debian-packages.sh tests
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
npm run --silent typecheck

export GATEHOUSE_TESTBED_DIR="${GATEHOUSE_TESTBED_DIR:-$(mktemp -d /tmp/gatehouse-testbed.XXXXXX)}"
cleanup() { node --import tsx test/ad/testbed-cli.ts stop "$GATEHOUSE_TESTBED_DIR" || true; }
trap cleanup EXIT
node --import tsx test/ad/testbed-cli.ts start "$GATEHOUSE_TESTBED_DIR"
export GATEHOUSE_TESTBED="$GATEHOUSE_TESTBED_DIR/testbed.json"

mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
