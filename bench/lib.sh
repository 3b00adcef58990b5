# Shared by the whole-daemon benchmark scripts: start weir with one pipeline,
# read its metrics, its CPU time and peak RSS. Source it; needs $work.

# weir_launch PIPELINE_YAML: as weir_start, but returns at once (sets $pid
# only); its admin port is logged to $work/stderr.log. For timings that a
# shell polling loop (a few forks every 10 ms) would disturb.
weir_launch() {
  mkdir -p "$work/pipelines"
  cat > "$work/weir.yaml" <<YAML
service:
  admin_listen: 127.0.0.1:0
  data_dir: $work/data
  log_level: info
  pipelines_dir: pipelines
YAML
  printf '%s\n' "$1" > "$work/pipelines/bench.yaml"
  : > "$work/stderr.log"
  "$weir" run --config "$work/weir.yaml" > "${WEIR_STDOUT:-/dev/null}" 2> "$work/stderr.log" &
  pid=$!
}

# weir_start PIPELINE_YAML: starts weir in $work, sets $pid and $port (admin);
# its standard output goes to $WEIR_STDOUT (default /dev/null).
weir_start() {
  weir_launch "$1"
  port=$(wait_log 'component=admin msg="listening on http://127.0.0.1:[0-9]*')
}

# wait_log REGEX: waits for the daemon's stderr to match; prints the port at its end.
# Bash builtins but for the sleep: the daemon may already be working.
# REGEX is extended (bash's =~); the first match counts (each log starts empty).
wait_log() {
  local found="" text="" i
  for ((i = 0; i < 1000; i++)); do
    IFS= read -r -d '' text < "$work/stderr.log" || true
    if [[ $text =~ $1 ]]; then
      found=${BASH_REMATCH[0]##*[^0-9]}
      [[ -n "$found" ]] && break
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/stderr.log" >&2; exit 1; }
    sleep 0.01
  done
  [[ -n "$found" ]] || { echo "weir did not log: $1" >&2; kill "$pid"; exit 1; }
  echo "$found"
}

# output_events: events that reached the outputs so far.
output_events() {
  curl -s "http://127.0.0.1:$port/metrics" |
    awk '$0 ~ "^weir_events_in_total\\{.*kind=\"output\"" {s+=$2} END {printf "%d", s}'
}

# The system interpreter for the pollers: a version manager's shim (pyenv)
# costs ~0.4 s of CPU at each start, taken from the daemon being measured.
bench_py=/usr/bin/python3
[[ -x $bench_py ]] || bench_py=python3

# wait_output N [TIMEOUT_S]: polls until N events reached the outputs. One
# process on a keep-alive connection every 5 ms (a curl + awk every 10 ms
# took about half a core from the daemon on a 2-core machine).
wait_output() {
  "$bench_py" "$(dirname "${BASH_SOURCE[0]}")/wait_metric.py" --port "$port" --metric weir_events_in_total \
    --label 'kind="output"' --at-least "$1" --interval 0.005 --timeout "${2:-300}" > /dev/null
}

# proc_usage PID: prints "CPU_SECONDS PEAK_RSS_MIB" of a running process.
proc_usage() {
  local ticks utime stime peak
  ticks=$(getconf CLK_TCK)
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$1/stat")
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$1/status")
  awk -v u="$utime" -v s="$stime" -v t="$ticks" -v k="$peak" 'BEGIN {printf "%.2f %.1f\n", (u+s)/t, k/1024}'
}
