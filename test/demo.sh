#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, provisions a Samba AD DC for corp.example.com
# on loopback, and serves Gatehouse at https://localhost:8443 until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup/debian-packages.sh demo
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
exec node --import tsx test/demo/demo.ts "$@"
