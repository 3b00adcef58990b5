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
trap 'rm -rf "$work"' EXIT

python3 "bench/gen_${parser}_lines.py" "$lines" > "$work/app.log"
bytes=$(stat -c %s "$work/app.log")
mkdir -p "$work/pipelines"
cat > "$work/weir.yaml" <<YAML
service:
  admin_listen: 127.0.0.1:0
  data_dir: $work/data
  log_level: info
  pipelines_dir: pipelines
YAML
cat > "$work/pipelines/bench.yaml" <<YAML
name: bench
inputs:
  - type: file
    paths: ["$work/app.log"]
    read_from_head: true
parser:
  type: $parser
outputs:
  - type: $output
workers: $workers
${QUEUE_EVENTS:+queue:
  max_events: $QUEUE_EVENTS}
YAML

start_ns=$(date +%s%N)
"$weir" run --config "$work/weir.yaml" > /dev/null 2> "$work/stderr.log" &
pid=$!
port=""
for _ in $(seq 1 600); do
  port=$(grep -o 'component=admin msg="listening on http://127.0.0.1:[0-9]*' "$work/stderr.log" | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr.log" >&2; exit 1; }
  sleep 0.01
done
[[ -n "$port" ]] || { echo "weir did not start" >&2; kill "$pid"; exit 1; }

metric() {
  curl -s "http://127.0.0.1:$port/metrics" |
    awk '$0 ~ "^weir_events_in_total\\{.*kind=\"output\"" {s+=$2} END {printf "%d", s}'
}
deadline=$(( $(date +%s) + 300 ))
while :; do
  n=$(metric)
  [[ "$n" -ge "$lines" ]] && break
  if (( $(date +%s) > deadline )); then echo "timed out at $n lines" >&2; kill "$pid"; exit 1; fi
  sleep 0.02
done
end_ns=$(date +%s%N)
ticks=$(getconf CLK_TCK)
read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid" || true

secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b-a)/1e9}')
cpu=$(awk -v u="$utime" -v s="$stime" -v t="$ticks" 'BEGIN {printf "%.2f", (u+s)/t}')
lps=$(awk -v n="$lines" -v s="$secs" 'BEGIN {printf "%d", n/s}')
mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b/s/1e6}')
rss=$(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k/1024}')
avg=$(awk -v b="$bytes" -v n="$lines" 'BEGIN {printf "%d", b/n}')
echo "file -> $parser -> $output: $lines lines (${avg} bytes avg) in ${secs}s"
echo "  ${lps} lines/s, ${mbps} MB/s, ${cpu} CPU s, peak RSS ${rss} MiB"
echo "scenario=file_${parser}_${output} lines=$lines bytes=$bytes seconds=$secs lines_per_s=$lps mb_per_s=$mbps cpu_s=$cpu peak_rss_mib=$rss workers=$workers"
