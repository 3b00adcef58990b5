#!/usr/bin/env bash
# An agent shipping to an endpoint that is down, with default settings:
#   file (RATE generated JSON lines a second, appended for SECONDS) → json → http output
#   to a loopback port nobody listens on.
# Prints, every 10 s, the agent's RSS and peak RSS, the spool's size and the
# events spooled, then whether every line written was taken in (none held back).
#
#   bench/http_dead_endpoint.sh [SECONDS] [RATE]     # default 120 s, 1,000 lines/s
#   FULL_SPOOL=1 bench/http_dead_endpoint.sh          # the spool on a full tmpfs (root)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
rate=${2:-1000}
weir=${WEIR_BIN:-build/weir}
base=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
writer=""
spool=$base/agent/data/state/agent/ship/spool
trap '[[ -n "$writer" ]] && kill "$writer" 2>/dev/null; [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
      [[ -n "${FULL_SPOOL:-}" ]] && umount -l "$spool" 2>/dev/null; rm -rf "$base"' EXIT
source bench/lib.sh

dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 bench/gen_json_lines.py $((seconds * rate)) > "$base/source.log"
: > "$base/app.log"
if [[ -n "${FULL_SPOOL:-}" ]]; then
  mkdir -p "$spool"
  mount -t tmpfs -o size=256k tmpfs "$spool"
  dd if=/dev/zero of="$spool/filler" bs=4k 2>/dev/null || true  # until the disk is full
fi

work=$base/agent
weir_start "name: agent
inputs:
  - type: file
    name: app
    paths: [\"$base/app.log\"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: http
    name: ship
    url: http://127.0.0.1:$dead_port/v1/logs"

# Appends RATE lines a second, in tenths of a second.
python3 - "$base/source.log" "$base/app.log" "$rate" <<'PY' &
import sys, time
src, dst, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
step = max(1, rate // 10)
with open(src) as f, open(dst, "a") as out:
    lines = f.readlines()
    t = time.monotonic()
    for i in range(0, len(lines), step):
        out.write("".join(lines[i:i + step]))
        out.flush()
        t += 0.1
        time.sleep(max(0.0, t - time.monotonic()))
PY
writer=$!

echo "t_s  rss_mib  peak_mib  spool_kib  spooled_events  spool_write_failed  read_events"
for ((t = 10; t <= seconds; t += 10)); do
  sleep 10
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  peak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  spool_kib=$(du -sk --exclude=filler "$spool" | cut -f1)
  metrics=$(curl -s "http://127.0.0.1:$port/metrics")
  spooled=$(awk '$0 ~ "^weir_errors_total\\{.*reason=\"spooled\"" {s+=$2} END {printf "%d", s}' <<< "$metrics")
  failed=$(awk '$0 ~ "^weir_errors_total\\{.*reason=\"spool_write_failed\"" {s+=$2} END {printf "%d", s}' <<< "$metrics")
  read_events=$(awk '$0 ~ "^weir_events_out_total\\{.*kind=\"input\"" {s+=$2} END {printf "%d", s}' <<< "$metrics")
  printf "%4d  %7s  %8s  %9s  %14s  %18s  %11s\n" "$t" "$rss" "$peak" "$spool_kib" "$spooled" "$failed" "$read_events"
done
wait "$writer" || true
writer=""
