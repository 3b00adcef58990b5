#!/usr/bin/env bash
# condition_ab.sh [BASE] — Condition::matches per event: BASE's core/condition
# (default: main) against the worktree's, compiled with the same flags into
# the same driver (bench/condition_ab.cpp), run alternately three times.
# Needs build/core/event/libweir_event.a (scripts/build.sh release).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-main}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/base/include/weir/condition" "$tmp/base/src"
for f in include/weir/condition/condition.hpp include/weir/condition/index_hint.hpp \
         include/weir/condition/time_range.hpp src/condition.cpp src/time_range.cpp; do
  git show "$base:core/condition/$f" > "$tmp/base/$f" 2>/dev/null || true
done
flags=(-O2 -g -DNDEBUG -std=c++20 -Icore/event/include -Iplugin-api/include)
srcs() { for s in "$1"/src/*.cpp; do [ -s "$s" ] && echo "$s"; done; }
g++ "${flags[@]}" -I"$tmp/base/include" bench/condition_ab.cpp $(srcs "$tmp/base") \
    build/core/event/libweir_event.a -o "$tmp/ab_base"
g++ "${flags[@]}" -Icore/condition/include bench/condition_ab.cpp $(srcs core/condition) \
    build/core/event/libweir_event.a -o "$tmp/ab_new"
for r in 1 2 3; do
  echo "== $base (load $(cut -d' ' -f1 /proc/loadavg))"; "$tmp/ab_base"
  echo "== worktree (load $(cut -d' ' -f1 /proc/loadavg))"; "$tmp/ab_new"
done
