#!/usr/bin/env bash
# Agent → aggregator over loopback, two weir daemons:
#   agent:      file (COUNT generated JSON lines, read from the head) → http output (gzip NDJSON)
#   aggregator: http input (202 after its output has the events) → null
# Prints lines/s from the agent's start until the aggregator's output has
# every line, and each daemon's CPU seconds and peak RSS.
#
#   bench/agent_aggregator.sh [COUNT]      # default 1,000,000
#   COMPRESSION=none bench/agent_aggregator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
weir=${WEIR_BIN:-build/weir}
compression=${COMPRESSION:-gzip}
base=$(mktemp -d /tmp/weir-bench-XXXXXX)
agg_pid=""
agent_pid=""
trap '[[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null; [[ -n "$agg_pid" ]] && kill "$agg_pid" 2>/dev/null; rm -rf "$base"' EXIT
source bench/lib.sh

python3 bench/gen_json_lines.py "$count" > "$base/app.log"
bytes=$(stat -c %s "$base/app.log")

# The aggregator first.
work=$base/aggregator
weir_start "name: aggregator
inputs:
  - {type: http, name: api, listen: \"127.0.0.1:0\"}
outputs:
  - type: null"
agg_pid=$pid
agg_port=$port
in_port=$(wait_log 'component=input:http:api msg="listening on http://127.0.0.1:[0-9]*')

start_ns=$(date +%s%N)
work=$base/agent
weir_start "name: agent
inputs:
  - type: file
    paths: [\"$base/app.log\"]
    read_from_head: true
outputs:
  - type: http
    url: http://127.0.0.1:$in_port/v1/logs
    compression: $compression"
agent_pid=$pid

pid=$agg_pid
port=$agg_port
wait_output "$count" 300
end_ns=$(date +%s%N)
read -r agg_cpu agg_rss < <(proc_usage "$agg_pid")
read -r agent_cpu agent_rss < <(proc_usage "$agent_pid")
kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=""
kill -TERM "$agg_pid"; wait "$agg_pid" || true; agg_pid=""

secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b-a)/1e9}')
rate=$(awk -v n="$count" -v s="$secs" 'BEGIN {printf "%d", n/s}')
mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.1f", b/s/1e6}')
echo "agent (file -> http, $compression) -> aggregator (http -> null): $count lines in ${secs}s"
echo "  ${rate} lines/s, ${mbps} MB/s of log; agent ${agent_cpu} CPU s, peak RSS ${agent_rss} MiB; aggregator ${agg_cpu} CPU s, peak RSS ${agg_rss} MiB"
echo "scenario=agent_aggregator compression=$compression lines=$count seconds=$secs lines_per_s=$rate agent_cpu_s=$agent_cpu agent_rss_mib=$agent_rss aggregator_cpu_s=$agg_cpu aggregator_rss_mib=$agg_rss"
