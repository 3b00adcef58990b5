#!/usr/bin/env bash
# Whole-daemon benchmark of the store: file → json → store, then the issue's
# queries Q1-Q7 through the HTTP API (median of 5 warm runs, curl wall time and
# the server's took_ms), then ingest of more days with and without a loop of
# the same queries running. With --peers, PostgreSQL and DuckDB load the same
# data and answer the same questions in the same run, and one table puts the
# three side by side.
#
#   bench/store_bench.sh [--peers] [--only weir|postgres|duckdb] [EVENTS]   # default 1,000,000
#   PEERS=1 bench/store_bench.sh 10000000
#   WEIR_BIN=build/weir OUT_MD=store.md bench/store_bench.sh
#   STORE_SYNC=false bench/store_bench.sh        # commits without fsync
#   UNDER_LOAD=0 bench/store_bench.sh            # skip the ingest under query load
#
# Data: when $GEN_DIR (default ../shared/bench beside the checkout) has
# gen_logs.py + spread_day.py, from them (the generator the reference figures
# of PostgreSQL and DuckDB were taken with: one UTC day, unique messages with
# request ids, 10 needle hits), kept in $DATA_CACHE (default bench/.cache/data)
# for the next run, since the same arguments always give the same bytes;
# otherwise bench/gen_json_lines.py (no needle, no peers, no second day).
#
# Ingest under query load: a second day (the same events, one day later) is
# moved into the followed folder and timed on its own, then a third day while
# Q1-Q7 run in a loop (bounded: QUERY_LOOP_ROUNDS rounds, at most until that
# ingest ends). Q1 (no time range) then reads the day being written; the
# others read the first day.
#
# PostgreSQL (bench/postgres_bench.sh) runs a throw-away cluster as a system
# user on a free loopback port; DuckDB (bench/duckdb_bench.mjs) comes from npm
# (@duckdb/node-api, $DUCKDB_NODE_API), installed into $BENCH_CACHE (default
# bench/.cache) outside git.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${PEERS:-0}
only=""
lines=1000000
while (($#)); do
  case $1 in
    --peers) peers=1 ;;
    --only)
      only=${2:?--only needs weir, postgres or duckdb}
      shift
      ;;
    --only=*) only=${1#--only=} ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    [0-9]*) lines=$1 ;;
    *)
      echo "store_bench: unknown argument '$1' (expected --peers, --only weir|postgres|duckdb, or a number of events)" >&2
      exit 2
      ;;
  esac
  shift
done
case $only in
  "") systems=(weir) && [[ $peers == 1 ]] && systems=(weir duckdb postgres) ;;
  weir | postgres | duckdb) systems=("$only") ;;
  *)
    echo "store_bench: --only expects weir, postgres or duckdb, found '$only'" >&2
    exit 2
    ;;
esac
runs() { [[ " ${systems[*]} " == *" $1 "* ]]; }

weir=${WEIR_BIN:-build/weir}
cache=${BENCH_CACHE:-bench/.cache}
duckdb_version=${DUCKDB_NODE_API:-1.5.6-r.1}
run_timeout=${RUN_TIMEOUT:-1800} # seconds, for each ingest, load and query loop
work=$(mktemp -d /tmp/weir-bench-store-XXXXXX)
pid=""
loop_pid=""
cleanup() {
  [[ -n "$loop_pid" ]] && kill "$loop_pid" 2> /dev/null
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
source bench/lib.sh

shared=${GEN_DIR:-../shared/bench}
needle=xenonfault
day=2026-01-19
day_from=${day}T00:00:00Z
day_to=${day}T23:59:59.999Z
day_end=2026-01-20T00:00:00Z
hour_from=${day}T23:00:00Z
probe_user=""
mkdir -p "$work/in"
if [[ -f $shared/gen_logs.py && -f $shared/spread_day.py ]]; then
  data="gen_logs.py + spread_day.py ($shared)"
  data_cache=${DATA_CACHE:-$cache/data}
  events=$data_cache/events-$lines.ndjson
  meta=$data_cache/events-$lines.meta.json
  if [[ ! -s $events || ! -s $meta ]]; then
    mkdir -p "$data_cache"
    echo "generating $lines events into $events" >&2
    python3 "$shared/gen_logs.py" --format json --lines "$lines" --seed 42 |
      python3 "$shared/spread_day.py" --lines "$lines" --seed 42 --day "$day" \
        --needle "$needle" --needle-count 10 --msg-suffix-digits 8 --output "$events.part" --meta "$meta"
    mv "$events.part" "$events"
  fi
  probe_user=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["probe_user_id"])' "$meta")
else
  data="bench/gen_json_lines.py"
  events=$work/app.json
  python3 bench/gen_json_lines.py "$lines" > "$events"
  day_from=2000-01-01
  day_to=now
  hour_from=now-100000h
  # Q7's probe: the user_id of the middle line, as spread_day.py's --meta picks it.
  probe_user=$(sed -n "$((lines / 2 + 1))p" "$events" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read()).get("user_id", ""))')
  if [[ ${systems[*]} != weir ]]; then
    echo "store_bench: PostgreSQL and DuckDB need the generator in \$GEN_DIR ($shared)" >&2
    exit 1
  fi
fi
bytes=$(stat -c %s "$events")
events=$(realpath "$events")
load_before=$(uptime | sed 's/.*load average: //')
echo "data:      $lines events, $((bytes / 1048576)) MiB of JSON lines, from $data"
echo "machine:   $(nproc) cores, load average $load_before at start"

# Results, by system and key (Q1, Q1_took, Q1_rows, ingest_eps, disk, ...).
declare -A R

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
ms() { awk -v v="$1" 'BEGIN {printf (v == "" ? "—" : (v < 10 ? "%.2f" : (v < 100 ? "%.1f" : "%.0f"))), v}'; }

# The issue's questions, as Weir's API asks them. Q5 needs two requests (one
# metric each); its figures are their sum.
qnames=(Q1 Q2 Q3 Q4 Q5 Q6 Q7)
declare -A qlabel=(
  [Q1]="level:ERROR AND timeout, newest 100"
  [Q2]="count by level, 24 h"
  [Q3]="1-minute histogram, 24 h"
  [Q4]="top-10 messages, last hour"
  [Q5]="p95 and p99 of latency_ms, last hour"
  [Q6]="the needle word, 24 h"
  [Q7]="count for one user_id, 24 h"
)
declare -A qtarget=([Q1]=1.5 [Q2]=5 [Q3]=10 [Q4]=20 [Q5]=6 [Q6]=1 [Q7]=1)
range_day="from=$(enc $day_from)&to=$(enc $day_to)"
range_hour="from=$(enc $hour_from)&to=$(enc $day_to)"
# Q4's request: the top messages by count, as templates (numbers and ids
# masked, answered from the rollups; with request ids in every message, each
# message text is unique). Q4_URL=...group_by=message... asks by exact text.
Q4_URL=${Q4_URL:-"/api/v1/logs/aggregate?metric=count&group_by=template&limit=10&$range_hour"}
declare -A qpath=(
  [Q1]="/api/v1/logs/search?q=$(enc 'level:ERROR AND timeout')&limit=100"
  [Q2]="/api/v1/logs/aggregate?group_by=level&$range_day"
  [Q3]="/api/v1/logs/aggregate?interval=1m&$range_day"
  [Q4]="$Q4_URL"
  [Q5]="/api/v1/logs/aggregate?metric=p95&field=latency_ms&$range_hour /api/v1/logs/aggregate?metric=p99&field=latency_ms&$range_hour"
  [Q6]="/api/v1/logs/search?q=$needle&$range_day&limit=100"
  [Q7]="/api/v1/logs/aggregate?q=$(enc "user_id:$probe_user")&$range_day"
)

stored_events() {
  curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "weir_store_events" {printf "%d", $2}'
}

# wait_stored N: polls until the store holds N events (bounded by run_timeout).
wait_stored() {
  local deadline=$(($(date +%s) + run_timeout)) n
  while :; do
    n=$(stored_events)
    [[ "${n:-0}" -ge "$1" ]] && return 0
    if (($(date +%s) > deadline)); then
      echo "timed out at $n of $1 events" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# The daemon, as weir_start in lib.sh does it, with a store: section
# (STORE_SYNC=false measures without fsync).
weir_start_store() {
  mkdir -p "$work/pipelines"
  cat > "$work/weir.yaml" << YAML
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

# weir_query Qn: one run of the question; prints "WALL_MS TOOK_MS" (summed
# over its requests) and leaves the last answer in $work/q.json.
weir_query() {
  local wall=0 took=0 w t p
  for p in ${qpath[$1]}; do
    w=$(curl -s --max-time "${QUERY_TIMEOUT:-300}" -o "$work/q.json" -w '%{time_total}' "http://127.0.0.1:$port$p")
    t=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("took_ms", "nan"))' "$work/q.json")
    wall=$(awk -v a="$wall" -v b="$w" 'BEGIN {print a + b*1000}')
    took=$(awk -v a="$took" -v b="$t" 'BEGIN {print a + b}')
  done
  echo "$wall $took"
}

# What the answer says, to compare with the other systems: the total of a
# search, the value of a one-row aggregate, else its rows.
weir_answer() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r.get("stats", {})
res = r.get("results", [])
if "total" in r:
    n = ("%s" if r.get("total_exact", True) else ">=%s") % r["total"]
elif len(res) == 1:
    n = res[0].get("value")
else:
    n = len(res)
print("%s|%s blocks scanned, path %s" % (n, s.get("blocks_scanned"), s.get("path")))' "$work/q.json"
}

commas() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<< "$1"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }

run_weir() {
  local start_ns end_ns cpu rss disk secs name walls tooks wall took answer n0
  ln "$events" "$work/in/day1.log" 2> /dev/null || cp "$events" "$work/in/day1.log"
  start_ns=$(date +%s%N)
  weir_start_store "name: bench
inputs:
  - type: file
    paths: [\"$work/in/*.log\"]
    read_from_head: true
    refresh_interval: 100ms
parser:
  type: json
outputs:
  - type: store"
  wait_stored "$lines"
  end_ns=$(date +%s%N)
  read -r cpu rss < <(proc_usage "$pid")
  disk=$(du -sb "$work/data/store" | awk '{print $1}')
  secs=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {printf "%.2f", (b-a)/1e9}')
  R[weir,ingest_eps]=$(awk -v n="$lines" -v s="$secs" 'BEGIN {printf "%.0f", n/s}')
  R[weir,ingest_s]=$secs
  R[weir,cpu]=$cpu
  R[weir,rss]=$rss
  R[weir,disk]=$disk
  echo "weir:      ingest $(commas "${R[weir,ingest_eps]}") events/s ($secs s wall, file → json → store, sync ${STORE_SYNC:-true}), CPU $cpu s, peak RSS $rss MiB"
  echo "weir:      on disk $((disk / 1048576)) MiB ($(awk -v d="$disk" -v n="$lines" 'BEGIN {printf "%.1f", d/n}') bytes/event)"

  for name in "${qnames[@]}"; do
    weir_query "$name" > /dev/null
    walls=() tooks=()
    for _ in 1 2 3 4 5; do
      read -r wall took < <(weir_query "$name")
      walls+=("$wall") tooks+=("$took")
    done
    R[weir,$name]=$(printf '%s\n' "${walls[@]}" | median)
    R[weir,${name}_took]=$(printf '%s\n' "${tooks[@]}" | median)
    answer=$(weir_answer)
    R[weir,${name}_rows]=${answer%%|*}
    printf 'weir:      %-3s %-38s %8s ms wall %8s ms took  (%s: %s)\n' "$name" "${qlabel[$name]}" \
      "$(ms "${R[weir,$name]}")" "$(ms "${R[weir,${name}_took]}")" "${answer%%|*}" "${answer#*|}"
  done

  [[ ${UNDER_LOAD:-1} == 1 && $data != bench/gen_json_lines.py ]] || return 0
  # Days 2 and 3: the same events, one and two days later.
  local d
  for d in 2 3; do
    sed "s/^{\"timestamp\":\"$day/{\"timestamp\":\"2026-01-$((18 + d))/" "$events" > "$work/day$d.json"
  done
  # ingest_day D: moves day D into the followed folder and times it into the
  # store; sets R[weir,dayD_eps] and R[weir,dayD_cpu].
  ingest_day() {
    local d=$1 t0 t1 c0 c1
    n0=$(stored_events)
    read -r c0 _ < <(proc_usage "$pid")
    t0=$(date +%s%N)
    mv "$work/day$d.json" "$work/in/day$d.log"
    wait_stored $((n0 + lines))
    t1=$(date +%s%N)
    read -r c1 _ < <(proc_usage "$pid")
    R[weir,day${d}_eps]=$(awk -v n="$lines" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n/((b-a)/1e9)}')
    R[weir,day${d}_cpu]=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", b-a}')
  }
  ingest_day 2
  echo "weir:      day 2 alone: $(commas "${R[weir,day2_eps]}") events/s, CPU ${R[weir,day2_cpu]} s"

  # Day 3 under a loop of Q1-Q7, one after the other, until the ingest ends.
  rm -f "$work/stop" "$work/load_q.txt"
  (
    deadline=$(($(date +%s) + run_timeout))
    for ((round = 0; round < ${QUERY_LOOP_ROUNDS:-1000}; round++)); do
      for name in "${qnames[@]}"; do
        if [[ -e "$work/stop" ]] || (($(date +%s) > deadline)); then exit 0; fi
        read -r wall took < <(weir_query "$name")
        echo "$name $wall $took" >> "$work/load_q.txt"
      done
    done
  ) &
  loop_pid=$!
  sleep 0.5 # the loop is running before the day arrives
  ingest_day 3
  touch "$work/stop"
  wait "$loop_pid" || true
  loop_pid=""
  local rounds
  rounds=$(awk '$1 == "Q7"' "$work/load_q.txt" | wc -l)
  R[weir,load_rounds]=$rounds
  echo "weir:      day 3 under query load: $(commas "${R[weir,day3_eps]}") events/s, CPU ${R[weir,day3_cpu]} s ($rounds rounds of Q1-Q7 meanwhile)"
  for name in "${qnames[@]}"; do
    R[weir,${name}_load]=$(awk -v n="$name" '$1 == n {print $2}' "$work/load_q.txt" | median)
    R[weir,${name}_load_n]=$(awk -v n="$name" '$1 == n' "$work/load_q.txt" | wc -l)
    printf 'weir:      %-3s under load: %8s ms wall (median of %s)\n' "$name" "$(ms "${R[weir,${name}_load]}")" "${R[weir,${name}_load_n]}"
  done
}

peer_env() {
  DAY_FROM=$day_from DAY_END=$day_end HOUR_FROM=$hour_from NEEDLE=$needle PROBE_USER=$probe_user "$@"
}

run_duckdb() {
  local mods=$cache/duckdb
  if [[ ! -f $mods/node_modules/@duckdb/node-api/package.json ]]; then
    echo "installing @duckdb/node-api@$duckdb_version into $mods" >&2
    mkdir -p "$mods"
    timeout 600 npm install --no-audit --no-fund --prefix "$mods" "@duckdb/node-api@$duckdb_version" >&2 || {
      echo "store_bench: npm install @duckdb/node-api@$duckdb_version failed" >&2
      return 1
    }
  fi
  peer_env timeout "$run_timeout" node bench/duckdb_bench.mjs "$(realpath "$mods")" "$events" "$work/bench.duckdb" > "$work/duckdb.json"
  local kv k v
  kv=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("version", r["version"])
print("load_eps", round(r["load_rows_s"]))
print("load_s", "%.2f" % r["load_s"])
print("cpu", "%.2f" % r["load_cpu_s"])
print("rss", "%.1f" % r["peak_rss_mib"])
print("disk", r["disk_bytes"])
for k, q in r["queries"].items():
    print(k, q["ms"])
    print(k + "_rows", q["rows"])' "$work/duckdb.json")
  while read -r k v; do R[duckdb,$k]=$v; done <<< "$kv"
  rm -f "$work/bench.duckdb" "$work/bench.duckdb.wal"
  echo "duckdb:    $(node -e 'console.log(process.version)') @duckdb/node-api, DuckDB ${R[duckdb,version]}: load $(commas "${R[duckdb,load_eps]}") rows/s (${R[duckdb,load_s]} s), on disk $((R[duckdb,disk] / 1048576)) MiB"
  for name in "${qnames[@]}"; do
    printf 'duckdb:    %-3s %-38s %8s ms  (%s)\n' "$name" "${qlabel[$name]}" "$(ms "${R[duckdb,$name]}")" "${R[duckdb,${name}_rows]}"
  done
}

run_postgres() {
  local k v
  peer_env bench/postgres_bench.sh "$events" > "$work/postgres.txt"
  while read -r k v; do R[postgres,$k]=$v; done < "$work/postgres.txt"
  R[postgres,load_eps]=${R[postgres,load_rows_s]}
  R[postgres,disk]=${R[postgres,disk_bytes]}
  for name in "${qnames[@]}"; do R[postgres,$name]=${R[postgres,${name}_ms]:-}; done
  echo "postgres:  PostgreSQL ${R[postgres,version]}: load $(commas "${R[postgres,load_eps]}") rows/s (${R[postgres,load_s]} s), indexes ${R[postgres,index_s]} s, on disk $((R[postgres,disk] / 1048576)) MiB (data folder $((R[postgres,datadir_bytes] / 1048576)) MiB)"
  for name in "${qnames[@]}"; do
    printf 'postgres:  %-3s %-38s %8s ms  (%s)\n' "$name" "${qlabel[$name]}" "$(ms "${R[postgres,$name]}")" "${R[postgres,${name}_rows]}"
  done
}

for s in "${systems[@]}"; do "run_$s"; done
load_after=$(uptime | sed 's/.*load average: //')
commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
git diff --quiet HEAD -- core plugins 2> /dev/null || commit="$commit+changes"

# The table: query × system, then ingest and size.
cell() { # cell SYSTEM KEY: a figure, or — when that system did not run
  local v=${R[$1,$2]:-}
  [[ -n $v ]] && ms "$v" || echo "—"
}
num() { [[ -n ${R[$1,$2]:-} ]] && commas "${R[$1,$2]}" || echo "—"; }
mib() { [[ -n ${R[$1,$2]:-} ]] && echo "$((R[$1,$2] / 1048576)) MiB" || echo "—"; }
{
  echo "| $(commas "$lines") events | Weir target | Weir | PostgreSQL | DuckDB |"
  echo "|---|---|---|---|---|"
  for name in "${qnames[@]}"; do
    w=$(cell weir "$name")
    [[ -n ${R[weir,${name}_took]:-} ]] && w="$w ($(ms "${R[weir,${name}_took]}"))"
    echo "| $name ${qlabel[$name]}, ms | ≤ ${qtarget[$name]} | $w | $(cell postgres "$name") | $(cell duckdb "$name") |"
  done
  echo "| ingest / load, events/s | ≥ 1,000,000 | $(num weir ingest_eps) | $(num postgres load_eps) | $(num duckdb load_eps) |"
  if [[ -n ${R[postgres,index_s]:-} ]]; then
    echo "| PostgreSQL: index build, s; load with indexes, rows/s | | | ${R[postgres,index_s]}; $(num postgres load_index_rows_s) | |"
  fi
  echo "| ingest / load CPU s, peak RSS MiB | | ${R[weir,cpu]:-—}, ${R[weir,rss]:-—} | | ${R[duckdb,cpu]:-—}, ${R[duckdb,rss]:-—} |"
  echo "| on disk | ≤ 300 MiB | $(mib weir disk) | $(mib postgres disk) | $(mib duckdb disk) |"
  if [[ -n ${R[weir,day3_eps]:-} ]]; then
    echo "| Weir: next day alone / under Q1-Q7 loop, events/s | | $(num weir day2_eps) / $(num weir day3_eps) | | |"
    for name in "${qnames[@]}"; do
      echo "| Weir: $name under ingest, ms (runs) | | $(cell weir "${name}_load") (${R[weir,${name}_load_n]}) | | |"
    done
  fi
} > "$work/table.md"
echo
cat "$work/table.md"
notes="Weir: curl wall time (API took_ms in parentheses), median of 5 warm runs; PostgreSQL: psql \\timing client wall time; DuckDB: Node client wall time around runAndReadAll. Weir build $commit; load average $load_before at start, $load_after at end ($(nproc) cores)."
echo
echo "$notes"
if [[ -n ${OUT_MD:-} ]]; then
  {
    cat "$work/table.md"
    echo
    echo "$notes"
  } > "$OUT_MD"
  echo "table written to $OUT_MD"
fi
