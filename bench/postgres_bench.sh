#!/usr/bin/env bash
# PostgreSQL side of bench/store_bench.sh: a throw-away cluster on a free
# loopback port, the benchmark's NDJSON loaded with COPY, the indexes a
# PostgreSQL user would make, then Q1-Q7 (one warm-up and 5 timed runs each,
# client wall time from psql's \timing).
#
#   bench/postgres_bench.sh DATA.ndjson
#
# The day's bounds, the needle and the probe user_id come from the
# environment: DAY_FROM, DAY_END (exclusive end), HOUR_FROM, NEEDLE,
# PROBE_USER. Prints "key value" lines on standard output (load_s,
# load_rows_s, index_s, disk_bytes, Qn_ms, Qn_rows, ...); progress on
# standard error. Installs Debian's postgresql package when initdb is missing.
# As root, the server runs as the system user weirbench (made if absent):
# PostgreSQL refuses to run as root.
set -euo pipefail
data=$1
: "${DAY_FROM:?}" "${DAY_END:?}" "${HOUR_FROM:?}" "${NEEDLE:?}" "${PROBE_USER:?}"
step_timeout=${PG_STEP_TIMEOUT:-2400} # seconds, for each psql step

pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bin=$(pg_bin_dir)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "postgres_bench: initdb missing, installing Debian's postgresql" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "postgres_bench: not root; install postgresql (apt-get install postgresql)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(pg_bin_dir)
fi

as_pg=()
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  if ! id weirbench > /dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin weirbench
  fi
  owner=weirbench
  as_pg=(runuser -u weirbench --)
fi

pgdir=$(mktemp -d /tmp/weir-bench-pg-XXXXXX)
chown "$owner" "$pgdir"
pg_pid=""
cleanup() {
  if [[ -n "$pg_pid" ]] && kill -0 "$pg_pid" 2> /dev/null; then
    kill -INT "$pg_pid" # fast shutdown
    for _ in $(seq 1 300); do
      kill -0 "$pg_pid" 2> /dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$pgdir"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U bench --auth=trust -E UTF8 --locale=C.UTF-8 -N > "$pgdir/initdb.log" 2>&1 ||
  { cat "$pgdir/initdb.log" >&2; exit 1; }
# Settings a person would give a dedicated benchmark box with ~20 GB of RAM and
# 2 cores; fsync stays on, as Weir's store syncs every commit.
"${as_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$pgdir \
      -c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB \
      -c effective_cache_size=8GB -c random_page_cost=1.1" start > /dev/null ||
  { cat "$pgdir/server.log" >&2; exit 1; }
pg_pid=$(head -1 "$pgdir/data/postmaster.pid")

psql_() { timeout "$step_timeout" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench -d postgres "$@"; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b-a)/1e9}'; }

echo "version $("$bin/postgres" --version | awk '{print $3}')"

# Load: COPY the lines into a jsonb staging table (the CSV format with quote
# and delimiter characters that never occur keeps each line whole), then one
# INSERT … SELECT into the typed table; what is not a column goes to attributes.
echo "postgres_bench: COPY of $(wc -l < "$data") lines" >&2
t0=$(now)
psql_ -c "CREATE UNLOGGED TABLE raw (j jsonb)"
psql_ -c "\\copy raw (j) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" < "$data"
psql_ <<'SQL'
CREATE TABLE logs (
  timestamp  timestamptz NOT NULL,
  level      text,
  service    text,
  message    text,
  user_id    text,
  latency_ms double precision,
  attributes jsonb
);
INSERT INTO logs
SELECT (j->>'timestamp')::timestamptz, j->>'level', j->>'service', j->>'message', j->>'user_id',
       (j->>'latency_ms')::double precision,
       j - '{timestamp,level,service,message,user_id,latency_ms}'::text[]
FROM raw;
DROP TABLE raw;
SQL
t1=$(now)
rows=$(psql_ -A -t -c "SELECT count(*) FROM logs")
echo "postgres_bench: indexes" >&2
psql_ <<'SQL'
CREATE INDEX logs_timestamp ON logs (timestamp);
CREATE INDEX logs_level_timestamp ON logs (level, timestamp);
CREATE INDEX logs_user_id ON logs (user_id);
CREATE INDEX logs_message_fts ON logs USING gin (to_tsvector('simple', message));
ANALYZE logs;
CHECKPOINT;
SQL
t2=$(now)
load_s=$(secs "$t0" "$t1")
echo "rows $rows"
echo "load_s $load_s"
echo "load_rows_s $(awk -v n="$rows" -v s="$load_s" 'BEGIN {printf "%.0f", n/s}')"
echo "index_s $(secs "$t1" "$t2")"
echo "load_index_rows_s $(awk -v n="$rows" -v s="$(secs "$t0" "$t2")" 'BEGIN {printf "%.0f", n/s}')"
echo "disk_bytes $(psql_ -A -t -c "SELECT pg_total_relation_size('logs')")"
echo "datadir_bytes $(du -sb "$pgdir/data" | awk '{print $1}')"

day="timestamp >= '$DAY_FROM' AND timestamp < '$DAY_END'"
hour="timestamp >= '$HOUR_FROM' AND timestamp < '$DAY_END'"
fts="to_tsvector('simple', message) @@ to_tsquery('simple', '%s')"
declare -A q=(
  [Q1]="SELECT * FROM logs WHERE level = 'ERROR' AND $(printf "$fts" timeout) ORDER BY timestamp DESC LIMIT 100"
  [Q2]="SELECT level, count(*) FROM logs WHERE $day GROUP BY level"
  [Q3]="SELECT date_trunc('minute', timestamp) AS minute, count(*) FROM logs WHERE $day GROUP BY minute ORDER BY minute"
  [Q4]="SELECT message, count(*) AS n FROM logs WHERE $hour GROUP BY message ORDER BY n DESC LIMIT 10"
  [Q5]="SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FROM logs WHERE $hour"
  [Q6]="SELECT * FROM logs WHERE $day AND $(printf "$fts" "$NEEDLE") ORDER BY timestamp DESC LIMIT 100"
  [Q7]="SELECT count(*) FROM logs WHERE $day AND user_id = '$PROBE_USER'"
)
# One psql session: per query, a warm-up whose rows go to a file (counted),
# then 5 runs with the rows discarded; \timing prints the client's wall time
# of each (sent, executed, all rows received) on standard output.
{
  echo '\timing on'
  echo '\pset tuples_only on'
  echo '\pset format unaligned'
  for name in Q1 Q2 Q3 Q4 Q5 Q6 Q7; do
    echo "\\o $pgdir/$name.rows"
    echo "${q[$name]};"
    echo '\o /dev/null'
    echo "\\echo @@ $name"
    for _ in 1 2 3 4 5; do echo "${q[$name]};"; done
  done
} > "$pgdir/queries.sql"
echo "postgres_bench: queries" >&2
psql_ -f "$pgdir/queries.sql" > "$pgdir/timing.txt"
for name in Q1 Q2 Q3 Q4 Q5 Q6 Q7; do
  ms=$(awk -v n="$name" '$1 == "@@" {on = ($2 == n); next} on && $1 == "Time:" {print $2}' "$pgdir/timing.txt" | sort -g | sed -n 3p)
  echo "${name}_ms $ms"
  if [[ $name == Q7 ]]; then
    echo "${name}_rows $(head -1 "$pgdir/$name.rows")"
  else
    echo "${name}_rows $(grep -c '' "$pgdir/$name.rows" || true)"
  fi
done
{
  echo "-- the queries as run"
  for name in Q1 Q2 Q3 Q4 Q5 Q6 Q7; do echo "$name: ${q[$name]}"; done
  echo "-- plans"
  for name in Q1 Q6 Q7; do
    echo "$name:"
    psql_ -A -t -c "EXPLAIN ${q[$name]}"
  done
} > "${PG_PLANS:-/dev/null}"
