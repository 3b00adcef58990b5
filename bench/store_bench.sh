#!/usr/bin/env bash
# Whole-daemon benchmark of the store: file → json → store, then queries
# through the HTTP API. Prints ingest events/s, CPU seconds, peak RSS, bytes
# on disk, and the median of 5 warm runs of each query (curl wall time and the
# server's took_ms).
#
#   bench/store_bench.sh [EVENTS]         # default 1,000,000
#   WEIR_BIN=build/weir bench/store_bench.sh 10000000
#   STORE_SYNC=false bench/store_bench.sh     # commits without fsync
#
# Data: when $GEN_DIR (default ../shared/bench beside the checkout) has
# gen_logs.py + spread_day.py, from them (the
# generator the reference figures of PostgreSQL and DuckDB were taken with:
# one UTC day, unique messages with request ids, 10 needle hits); otherwise
# bench/gen_json_lines.py (no needle; Q6 then looks for a word that is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
weir=${WEIR_BIN:-build/weir}
work=$(mktemp -d /tmp/weir-bench-store-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh

shared=${GEN_DIR:-../shared/bench}
needle=xenonfault
day_from=2026-01-19T00:00:00Z
day_to=2026-01-19T23:59:59.999Z
hour_from=2026-01-19T23:00:00Z
if [[ -f $shared/gen_logs.py && -f $shared/spread_day.py ]]; then
  data="gen_logs.py + spread_day.py ($shared)"
  python3 "$shared/gen_logs.py" --format json --lines "$lines" --seed 42 |
    python3 "$shared/spread_day.py" --lines "$lines" --seed 42 --day 2026-01-19 \
      --needle "$needle" --needle-count 10 --msg-suffix-digits 8 --output "$work/app.log" --meta "$work/meta.json"
else
  data="bench/gen_json_lines.py"
  python3 bench/gen_json_lines.py "$lines" > "$work/app.log"
  day_from=2000-01-01; day_to=now; hour_from=now-100000h
fi
bytes=$(stat -c %s "$work/app.log")

stored_events() {
  curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "weir_store_events" {printf "%d", $2}'
}

# The daemon, as weir_start in lib.sh does it, with a store: section
# (STORE_SYNC=false measures without fsync).
weir_start_store() {
  mkdir -p "$work/pipelines"
  cat > "$work/weir.yaml" <<YAML
service:
  admin_listen: 127.0.0.1:0
  data_dir: $work/data
  log_level: info
  pipelines_dir: pipelines
store:
  sync: ${STORE_SYNC:-true}
YAML
  printf '%s\n' "$1" > "$work/pipelines/bench.yaml"
  "$weir" run --config "$work/weir.yaml" > /dev/null 2> "$work/stderr.log" &
  pid=$!
  port=$(wait_log 'component=admin msg="listening on http://127.0.0.1:[0-9]*')
}

start_ns=$(date +%s%N)
weir_start_store "name: bench
inputs:
  - type: file
    paths: [\"$work/app.log\"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: store"
deadline=$(( $(date +%s) + 1800 ))
while :; do
  n=$(stored_events)
  [[ "${n:-0}" -ge "$lines" ]] && break
  if (( $(date +%s) > deadline )); then echo "timed out at $n events" >&2; exit 1; fi
  sleep 0.05
done
end_ns=$(date +%s%N)
read -r cpu rss < <(proc_usage "$pid")
disk=$(du -sb "$work/data/store" | awk '{print $1}')
secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.2f", (b-a)/1e9}')
eps=$(awk -v n="$lines" -v s="$secs" 'BEGIN {printf "%.0f", n/s}')
echo "data:      $lines events, $((bytes / 1048576)) MiB of JSON lines, from $data"
echo "ingest:    $eps events/s ($secs s wall, file → json → store, sync ${STORE_SYNC:-true}), CPU $cpu s, peak RSS $rss MiB"
echo "on disk:   $((disk / 1048576)) MiB ($(awk -v d="$disk" -v n="$lines" 'BEGIN {printf "%.1f", d/n}') bytes/event)"

# query NAME PATH: median of 5 warm runs (one run first to warm up).
query() {
  local name=$1 path=$2 walls=() tooks=() body
  curl -s -o /dev/null "http://127.0.0.1:$port$path"
  for _ in 1 2 3 4 5; do
    walls+=("$(curl -s -o "$work/q.json" -w '%{time_total}' "http://127.0.0.1:$port$path")")
    tooks+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["took_ms"])' "$work/q.json")")
  done
  body=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r.get("stats", {})
n = r.get("total", len(r.get("results", [])))
print("%s rows, %s blocks scanned, path %s" % (n, s.get("blocks_scanned"), s.get("path")))' "$work/q.json")
  local wall took
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n 3p)
  took=$(printf '%s\n' "${tooks[@]}" | sort -g | sed -n 3p)
  printf '%-34s %8.2f ms wall %8.2f ms took  (%s)\n' "$name" "$(awk -v w="$wall" 'BEGIN {print w*1000}')" "$took" "$body"
}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

query "Q1 level:ERROR AND timeout, 100" "/api/v1/logs/search?q=$(enc 'level:ERROR AND timeout')&limit=100"
query "Q2 count by level" "/api/v1/logs/aggregate?group_by=level"
query "Q3 1-minute histogram, 24 h" "/api/v1/logs/aggregate?interval=1m&from=$(enc $day_from)&to=$(enc $day_to)"
query "Q4 p95 latency_ms, last hour" "/api/v1/logs/aggregate?metric=p95&field=latency_ms&from=$(enc $hour_from)&to=$(enc $day_to)"
query "Q5 top 10 services by count" "/api/v1/logs/aggregate?group_by=service&limit=10"
query "Q6 needle word over 24 h" "/api/v1/logs/search?q=$needle&from=$(enc $day_from)&to=$(enc $day_to)&limit=100"
query "Q7 newest 100, no filter" "/api/v1/logs/search?limit=100"
echo "machine: $(nproc) cores, shared with other builds while this ran (figures vary with that load)"
