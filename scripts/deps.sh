#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package Weir needs to build, run and
# test — only those that are missing. Run as root.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang lld clang-format
  libboost-dev libyaml-cpp-dev libsimdjson-dev libre2-dev libmaxminddb-dev liblmdb-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libssl-dev
  tzdata
  libzstd-dev libroaring-dev
  python3 python3-pytest curl procps
  postgresql # bench/store_bench.sh --peers runs PostgreSQL beside the store
  libpq-dev # the postgres output
  chromium # the dashboard's browser tests
)
# Node.js and npm build the dashboard (scripts/build-web.sh). Debian's
# packages only when the commands are missing: a Node.js from elsewhere
# (NodeSource's carries its own npm) conflicts with Debian's npm package.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "weir: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "weir: missing packages and not root; run as root or install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
