#!/usr/bin/env bash
# build-web.sh — builds the dashboard (web/) into web/dist/, which weir.yaml's
# service.api.static_dir serves. Needs Node.js 18+ and npm (scripts/deps.sh
# installs them). Without them it says so and exits 1; the daemon then serves
# a page at / saying how to build the dashboard.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "weir: the dashboard needs Node.js and npm (apt-get install nodejs npm); not built" >&2
  exit 1
fi
if [ -f package-lock.json ]; then
  # npm ci reinstalls from scratch: only when the lock changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
else
  npm install --no-audit --no-fund --loglevel=error
fi
node build.mjs
