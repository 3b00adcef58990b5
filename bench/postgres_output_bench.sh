#!/usr/bin/env bash
# The postgres output against its limit: N generated JSON lines, file → json →
# postgres into the table the output creates (day partitions, its indexes),
# on a throw-away local server; then the same rows, exported with psql's
# \copy, loaded again with \copy into the same (emptied) table. fsync stays on.
# While weir loads, its admin API is asked for /metrics every 200 ms and the
# slowest answer is printed (the pipeline stays responsive or it does not).
# ROUNDS (default 3) alternate the two; medians are printed.
#
#   bench/postgres_output_bench.sh [LINES]      # default 1,000,000
#   CONNECTIONS=4 BATCH_ROWS=20000 bench/postgres_output_bench.sh
#
# Prints "key value" lines: rows, weir_s, weir_rows_s, copy_s, copy_rows_s,
# ratio, the rounds, admin_max_ms, and cpu_s and rss_mib of weir's last round. As root the server runs as the system
# user weirbench (made if absent): PostgreSQL refuses to run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
weir=${WEIR_BIN:-build/weir}
connections=${CONNECTIONS:-2}
batch_rows=${BATCH_ROWS:-10000}
ROUNDS=${ROUNDS:-3}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "initdb missing: apt-get install postgresql" >&2; exit 1; }

work=$(mktemp -d /tmp/weir-bench-XXXXXX)
chmod 755 "$work"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  id weirbench > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin weirbench
  chown weirbench "$work"
  as_pg=(runuser -u weirbench --)
fi
pid=""
pg_pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null
  if [[ -n "$pg_pid" ]] && kill -0 "$pg_pid" 2> /dev/null; then
    kill -INT "$pg_pid"
    for _ in $(seq 1 300); do kill -0 "$pg_pid" 2> /dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
source bench/lib.sh

pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bin/initdb" -D "$work/pg" -U bench --auth=trust -E UTF8 --locale=C.UTF-8 -N > "$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$work \
      -c shared_buffers=512MB -c max_wal_size=4GB -c maintenance_work_mem=256MB" start > /dev/null ||
  { cat "$work/pg.log" >&2; exit 1; }
pg_pid=$(head -1 "$work/pg/postmaster.pid")
psql_() { "$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U bench -d postgres "$@"; }
count() { psql_ -c "SELECT count(*) FROM logs" 2> /dev/null || echo 0; }

echo "postgres_output_bench: generating $lines lines" >&2
python3 bench/gen_json_lines.py "$lines" > "$work/app.log"

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Rounds alternate weir and \copy, so that a busy machine slows both alike;
# the medians are printed.
weir_times=() copy_times=() admin_max=0
for round in $(seq 1 "$ROUNDS"); do
  echo "postgres_output_bench: round $round: weir" >&2
  psql_ -c "TRUNCATE logs" 2> /dev/null || true
  rm -rf "$work/data" "$work/pipelines"
  t0=$(date +%s%N)
  weir_start "name: bench
inputs:
  - type: file
    paths: [\"$work/app.log\"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: postgres
    url: postgresql://bench@127.0.0.1:$pgport/postgres
    connections: $connections
    batch_max_rows: $batch_rows"
  deadline=$(( $(date +%s) + 1800 ))
  while :; do
    a=$(date +%s%N)
    committed=$(curl -s "http://127.0.0.1:$port/metrics" |
      awk '$0 ~ "^weir_outcomes_total\\{.*outcome=\"rows_committed\"" {s+=$2} END {printf "%d", s}')
    ms=$(( ($(date +%s%N) - a) / 1000000 ))
    (( ms > admin_max )) && admin_max=$ms
    [[ "$committed" -ge "$lines" ]] && break
    (( $(date +%s) > deadline )) && { echo "timed out at $committed rows" >&2; exit 1; }
    sleep 0.2
  done
  t1=$(date +%s%N)
  read -r cpu rss < <(proc_usage "$pid")
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  pid=""
  rows=$(count)
  weir_times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')")

  echo "postgres_output_bench: round $round: psql \\copy of the same rows" >&2
  [[ -f "$work/rows.copy" ]] || psql_ -c "\\copy (SELECT * FROM logs) TO '$work/rows.copy'"
  psql_ -c "TRUNCATE logs"
  psql_ -c "CHECKPOINT"
  c0=$(date +%s%N)
  psql_ -c "\\copy logs FROM '$work/rows.copy'"
  c1=$(date +%s%N)
  copied=$(count)
  copy_times+=("$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')")
  echo "postgres_output_bench: round $round: weir ${weir_times[-1]} s, copy ${copy_times[-1]} s" >&2
done
ws=$(printf '%s\n' "${weir_times[@]}" | median)
cs=$(printf '%s\n' "${copy_times[@]}" | median)
awk -v n="$rows" -v ws="$ws" -v cs="$cs" -v m="$copied" -v adm="$admin_max" -v cpu="$cpu" -v rss="$rss" \
    -v wall="${weir_times[*]}" -v call="${copy_times[*]}" 'BEGIN {
  printf "rows %d\nweir_s %.2f\nweir_rows_s %.0f\ncopy_rows %d\ncopy_s %.2f\ncopy_rows_s %.0f\nratio %.2f\n", n, ws, n / ws, m, cs, m / cs, cs / ws
  printf "weir_s_rounds %s\ncopy_s_rounds %s\n", wall, call
  printf "admin_max_ms %d\ncpu_s %s\nrss_mib %s\n", adm, cpu, rss
}'
