#!/usr/bin/env bash
# Whole daemon with filters: a generated file of JSON lines read from the head
# → json → redact (every detector) → geoip (City + ASN test databases) → null.
# The generated lines carry private 10.x addresses; this script rewrites them
# to public test addresses so geoip has work to do. Prints lines/s, CPU and
# peak RSS.
#
#   bench/file_redact_geoip_null.sh [LINES]     # default 1,000,000
#   WORKERS=2 bench/file_redact_geoip_null.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
weir=${WEIR_BIN:-build/weir}
workers=${WORKERS:-1}
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh
data=$PWD/plugins/filters/geoip/tests/data

python3 bench/gen_json_lines.py "$lines" |
  python3 -c '
import sys
ips = ["81.2.69.142", "89.160.20.112", "216.160.83.56", "2.125.160.216", "175.16.199.0", "67.43.156.1"]
for i, line in enumerate(sys.stdin):
    start = line.find("\"client_ip\":\"")
    if start >= 0:
        end = line.find("\"", start + 13)
        line = line[:start + 13] + ips[i % len(ips)] + line[end:]
    sys.stdout.write(line)
' > "$work/app.log"
bytes=$(stat -c %s "$work/app.log")

weir_start "name: bench
inputs:
  - type: file
    paths: [\"$work/app.log\"]
    read_from_head: true
parser:
  type: json
filters:
  - type: redact
    detectors: [credit_card, email, key_value, bearer, aws_key, ipv4, ipv6]
  - type: geoip
    field: client_ip
    city_database: \"$data/GeoIP2-City-Test.mmdb\"
    asn_database: \"$data/GeoLite2-ASN-Test.mmdb\"
outputs:
  - type: null
workers: $workers"
start_ns=$(date +%s%N)
wait_output "$lines" 300
end_ns=$(date +%s%N)
read -r cpu rss < <(proc_usage "$pid")
kill -TERM "$pid"; wait "$pid" || true; pid=""

secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.3f", (b-a)/1e9}')
rate=$(awk -v n="$lines" -v s="$secs" 'BEGIN {printf "%d", n/s}')
echo "file -> json -> redact -> geoip -> null: $lines lines ($bytes bytes) in ${secs}s"
echo "  ${rate} lines/s, ${cpu} CPU s, peak RSS ${rss} MiB, workers $workers"
echo "scenario=file_json_redact_geoip_null lines=$lines seconds=$secs lines_per_s=$rate cpu_s=$cpu peak_rss_mib=$rss workers=$workers"
