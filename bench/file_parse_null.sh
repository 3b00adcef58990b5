#!/usr/bin/env bash
# Whole-daemon benchmark: a generated file of log lines read from the head →
# a parser → null output (or, with OUTPUT=stdout, → stdout > /dev/null).
# Prints lines/s, MB/s, CPU seconds and peak RSS, then one machine-readable line.
#
#   bench/file_parse_null.sh json [LINES]       # generated JSON lines, default 2,000,000
#   bench/file_parse_null.sh apache [LINES]     # generated Apache combined lines
#   OUTPUT=stdout bench/file_parse_null.sh json
#   WEIR_BIN=build/weir WORKERS=1 bench/file_parse_null.sh json
set -euo pipefail
cd "$(dirname "$0")/.."
parser=${1:?usage: file_parse_null.sh json|apache [LINES]}
lines=${2:-2000000}
output=${OUTPUT:-null}
workers=${WORKERS:-1}
weir=${WEIR_BIN:-build/weir}
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh

python3 "bench/gen_${parser}_lines.py" "$lines" > "$work/app.log"
bytes=$(stat -c %s "$work/app.log")

start_ns=$(date +%s%N)
weir_start "name: bench
inputs:
  - type: file
    paths: [\"$work/app.log\"]
    read_from_head: true
parser:
  type: $parser
outputs:
  - type: $output
workers: $workers
${QUEUE_EVENTS:+queue:
  max_events: $QUEUE_EVENTS}"
wait_output "$lines" 300
end_ns=$(date +%s%N)
read -r cpu rss < <(proc_usage "$pid")
kill -TERM "$pid"; wait "$pid" || true; pid=""

secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b-a)/1e9}')
lps=$(awk -v n="$lines" -v s="$secs" 'BEGIN {printf "%d", n/s}')
mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b/s/1e6}')
avg=$(awk -v b="$bytes" -v n="$lines" 'BEGIN {printf "%d", b/n}')
echo "file -> $parser -> $output: $lines lines (${avg} bytes avg) in ${secs}s"
echo "  ${lps} lines/s, ${mbps} MB/s, ${cpu} CPU s, peak RSS ${rss} MiB"
echo "scenario=file_${parser}_${output} lines=$lines bytes=$bytes seconds=$secs lines_per_s=$lps mb_per_s=$mbps cpu_s=$cpu peak_rss_mib=$rss workers=$workers"
