#!/usr/bin/env bash
# Whole-daemon benchmark of the file output: generated lines read from the
# head of a file → json (or apache) → the file output, beside the same
# pipeline into stdout redirected to a file and into the null output. Each
# case runs RUNS times (default 3); the median run by lines/s is printed.
# Waits until every event is written (the output's events_out), so the time
# includes the last write(2). Beside the whole process's CPU time it prints
# the CPU time of the output's writer thread (the thread that wrote the most
# bytes), the steadier figure on a shared machine.
#
#   bench/file_json_file.sh                    # json 2,000,000 and apache 1,000,000 lines
#   CASES="json:file apache:file" bench/file_json_file.sh
#   JSON_LINES=500000 APACHE_LINES=500000 RUNS=1 bench/file_json_file.sh
#   OUT_DIR=/dev/shm/x bench/file_json_file.sh   # write the output files elsewhere (tmpfs: no disk)
#   EXTRA_YAML=$'queue:\n  output_max_events: 65536' bench/file_json_file.sh   # more pipeline settings
set -euo pipefail
cd "$(dirname "$0")/.."
weir=${WEIR_BIN:-build/weir}
runs=${RUNS:-3}
cases=${CASES:-"json:file json:stdout json:null apache:file apache:stdout apache:null"}
declare -A count=([json]=${JSON_LINES:-2000000} [apache]=${APACHE_LINES:-1000000})
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh
out_dir=${OUT_DIR:-$work/out}
poller=""
trap '[[ -n "$poller" ]] && kill "$poller" 2>/dev/null; [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work" "$out_dir"' EXIT

# wait_written N: waits until the outputs wrote N events; prints the wall
# clock (ns) when they had. One polling process on a keep-alive connection:
# a curl per poll would take CPU from the daemon being measured.
# The system interpreter: a version manager's shim (pyenv) costs ~0.4 s of
# CPU at each start, taken from the daemon being measured.
py=/usr/bin/python3
[[ -x $py ]] || py=python3
wait_written() {
  "$py" bench/wait_metric.py --port-from-log "$work/stderr.log" --pid-file "$work/pid" \
    --metric weir_events_out_total --label 'kind="output"' --at-least "$1" --interval 0.005 --timeout 300
}

# output_thread_cpu PID: CPU seconds of the thread that wrote the most bytes
# (the output's writer), or - when no thread wrote 1 MB (the null output).
output_thread_cpu() {
  local best=0 cpu=- t w ticks
  ticks=$(getconf CLK_TCK)
  for t in /proc/"$1"/task/*; do
    w=$(awk '/^wchar/ {print $2}' "$t/io" 2>/dev/null || echo 0)
    if (( w > best )); then
      best=$w
      cpu=$(awk -v k="$ticks" '{printf "%.2f", ($14 + $15) / k}' "$t/stat")
    fi
  done
  (( best > 1000000 )) || cpu=-
  echo "$cpu"
}

# run_case PARSER OUTPUT: prints "LINES_PER_S CPU_S PEAK_RSS_MIB OUTPUT_BYTES OUTPUT_THREAD_CPU_S".
run_case() {
  local parser=$1 output=$2 lines=${count[$1]} out_yaml
  rm -rf "$out_dir" "$work/data" "$work/stdout.out"
  mkdir -p "$out_dir"
  sync  # no write-back of an earlier run's (or the generator's) pages during this one
  case "$output" in
    file)   out_yaml="  - type: file
    path: \"$out_dir/bench.log\"" ;;
    stdout) out_yaml="  - type: stdout" ;;
    null)   out_yaml="  - type: null" ;;
  esac
  local start_ns end_ns cpu rss out_cpu
  : > "$work/stderr.log"
  rm -f "$work/pid"
  wait_written "$lines" > "$work/end_ns" &  # started first: its own start-up is not in the time
  poller=$!
  sleep 0.2  # its interpreter start (~35 ms of CPU) is over before the daemon starts
  start_ns=$(date +%s%N)
  WEIR_STDOUT="$out_dir/stdout.out" weir_launch "name: bench
inputs:
  - type: file
    paths: [\"$work/$parser.log\"]
    read_from_head: true
parser:
  type: $parser
outputs:
$out_yaml
workers: ${WORKERS:-1}${EXTRA_YAML:+
$EXTRA_YAML}"
  echo "$pid" > "$work/pid"
  if ! wait "$poller"; then
    cat "$work/stderr.log" >&2
    exit 1
  fi
  poller=""
  end_ns=$(<"$work/end_ns")
  read -r cpu rss < <(proc_usage "$pid")
  out_cpu=$(output_thread_cpu "$pid")
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  local bytes
  bytes=$(cat "$out_dir/bench.log" "$out_dir/stdout.out" 2>/dev/null | wc -c)
  awk -v n="$lines" -v a="$start_ns" -v b="$end_ns" -v c="$cpu" -v r="$rss" -v o="$bytes" -v t="$out_cpu" \
    'BEGIN {printf "%d %s %s %d %s\n", n/((b-a)/1e9), c, r, o, t}'
}

for parser in json apache; do
  [[ " $cases " == *" $parser:"* ]] && python3 "bench/gen_${parser}_lines.py" "${count[$parser]}" > "$work/$parser.log"
done

for c in $cases; do
  parser=${c%%:*}; output=${c#*:}
  results=()
  for _ in $(seq 1 "$runs"); do results+=("$(run_case "$parser" "$output")"); done
  all=$(printf '%s\n' "${results[@]}" | awk '{printf "%s%d", (NR>1?", ":""), $1}')
  read -r lps cpu rss bytes out_cpu < <(printf '%s\n' "${results[@]}" | sort -n | awk -v m=$(( (runs + 1) / 2 )) 'NR==m')
  label=$output; [[ $output == stdout ]] && label="stdout > file"
  echo "file -> $parser -> $label: ${count[$parser]} lines; median of $runs: $lps lines/s, $cpu CPU s (output thread $out_cpu), peak RSS $rss MiB ($bytes bytes out; runs: $all)"
  echo "scenario=file_${parser}_${output} lines=${count[$parser]} runs=$runs lines_per_s=$lps cpu_s=$cpu output_thread_cpu_s=$out_cpu peak_rss_mib=$rss output_bytes=$bytes"
done
