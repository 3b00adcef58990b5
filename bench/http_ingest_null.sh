#!/usr/bin/env bash
# HTTP NDJSON ingest → null, in weir: COUNT JSON events (~220 bytes) POSTed
# by bench/loadgen in batches of BATCH on CONNECTIONS keep-alive connections.
# Each 202 comes after the null output acknowledged the batch (the http
# input's default). Prints events/s, request latency p50/p99, CPU and peak RSS.
#
#   bench/http_ingest_null.sh [COUNT] [BATCH] [CONNECTIONS] [RATE]
#   # default 1,000,000 events, 1,000 per POST, 2 connections, no pacing;
#   # RATE (events/s) paces the sender, e.g. at half the peak to read latency.
#   GZIP=1 bench/http_ingest_null.sh       # gzip-compressed bodies
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
batch=${2:-1000}
conns=${3:-2}
rate=${4:-0}
weir=${WEIR_BIN:-build/weir}
loadgen=${LOADGEN:-$(dirname "$weir")/bench/loadgen}
workers=${WORKERS:-1}
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh

weir_start "name: bench
inputs:
  - {type: http, name: api, listen: \"127.0.0.1:0\"}
outputs:
  - type: null
workers: $workers"
in_port=$(wait_log 'component=input:http:api msg="listening on http://127.0.0.1:[0-9]*')

extra=()
[[ "$rate" != 0 ]] && extra+=(--rate "$rate")
[[ -n "${GZIP:-}" ]] && extra+=(--gzip)
"$loadgen" http "$in_port" "$count" --batch "$batch" --connections "$conns" "${extra[@]}" > "$work/loadgen.log"
wait_output "$count" 60
read -r cpu rss < <(proc_usage "$pid")
kill -TERM "$pid"; wait "$pid" || true; pid=""

kv=$(tail -1 "$work/loadgen.log")
echo "weir: http ndjson -> null: $(head -1 "$work/loadgen.log")"
echo "  weir ${cpu} CPU s, peak RSS ${rss} MiB"
echo "scenario=http_ndjson_null system=weir batch=$batch connections=$conns rate=$rate ${GZIP:+gzip=1 }$kv cpu_s=$cpu peak_rss_mib=$rss"
