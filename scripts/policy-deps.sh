#!/usr/bin/env bash
# The policy pack is its own npm package (policy/package.json + lockfile): install it when its
# node_modules is missing or older than its lockfile, so `npm test` works after a plain `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/../policy"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "policy: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
