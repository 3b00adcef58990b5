#!/usr/bin/env bash
# build.sh [release|asan|fuzz] — configures and builds into build/, build-asan/ or
# build-fuzz/ (clang, libFuzzer targets only).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=${WEIR_JOBS:-$(nproc)}
case "$kind" in
  release) dir=build;      flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DWEIR_SANITIZE=ON -DWEIR_BUILD_BENCH=OFF) ;;
  fuzz)    dir=build-fuzz; target=fuzz_targets
           flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                  -DWEIR_FUZZ=ON -DWEIR_BUILD_TESTS=OFF -DWEIR_BUILD_BENCH=OFF) ;;
  *) echo "usage: build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$dir" -j "$jobs" ${target:-}
