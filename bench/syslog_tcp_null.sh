#!/usr/bin/env bash
# syslog over TCP → syslog parser → null, in weir. COUNT RFC 5424 messages
# (~150 bytes, octet-counted) from bench/loadgen over CONNECTIONS connections.
# Prints msg/s (first byte sent → last event at the output), CPU and peak RSS.
#
#   bench/syslog_tcp_null.sh [COUNT] [CONNECTIONS]     # default 1,000,000 on 1
#   WEIR_BIN=build/weir LOADGEN=build/bench/loadgen WORKERS=2 bench/syslog_tcp_null.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
conns=${2:-1}
weir=${WEIR_BIN:-build/weir}
loadgen=${LOADGEN:-$(dirname "$weir")/bench/loadgen}
workers=${WORKERS:-1}
parser=${PARSER:-syslog}
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
source bench/lib.sh

weir_start "name: bench
inputs:
  - {type: syslog, name: tcp_in, mode: tcp, listen: \"127.0.0.1:0\"}
${parser:+parser:
  type: $parser}
outputs:
  - type: null
workers: $workers"
in_port=$(wait_log 'component=input:syslog:tcp_in msg="listening on tcp://127.0.0.1:[0-9]*')

start_ns=$(date +%s%N)
"$loadgen" syslog "$in_port" "$count" --connections "$conns" > "$work/loadgen.log"
wait_output "$count"
end_ns=$(date +%s%N)
read -r cpu rss < <(proc_usage "$pid")
kill -TERM "$pid"; wait "$pid" || true

secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b-a)/1e9}')
rate=$(awk -v n="$count" -v s="$secs" 'BEGIN {printf "%d", n/s}')
echo "weir: syslog tcp -> ${parser:-no parser} -> null: $count messages on $conns connection(s) in ${secs}s"
echo "  ${rate} msg/s, ${cpu} CPU s, peak RSS ${rss} MiB (sender alone: $(grep -o '[0-9]* msg/s' "$work/loadgen.log" | head -1) while weir read)"
echo "scenario=syslog_tcp_${parser:-raw}_null system=weir messages=$count seconds=$secs msg_per_s=$rate cpu_s=$cpu peak_rss_mib=$rss workers=$workers"
