# Shared by the whole-daemon benchmark scripts: start weir with one pipeline,
# read its metrics, its CPU time and peak RSS. Source it; needs $work.

# weir_start PIPELINE_YAML: starts weir in $work, sets $pid and $port (admin);
# its standard output goes to $WEIR_STDOUT (default /dev/null).
weir_start() {
  mkdir -p "$work/pipelines"
  cat > "$work/weir.yaml" <<YAML
service:
  admin_listen: 127.0.0.1:0
  data_dir: $work/data
  log_level: info
  pipelines_dir: pipelines
YAML
  printf '%s\n' "$1" > "$work/pipelines/bench.yaml"
  "$weir" run --config "$work/weir.yaml" > "${WEIR_STDOUT:-/dev/null}" 2> "$work/stderr.log" &
  pid=$!
  port=$(wait_log 'component=admin msg="listening on http://127.0.0.1:[0-9]*')
}

# wait_log REGEX: waits for the daemon's stderr to match; prints the port at its end.
wait_log() {
  local found=""
  for _ in $(seq 1 1000); do
    found=$(grep -o "$1" "$work/stderr.log" | tail -1 | grep -o '[0-9]*$' || true)
    [[ -n "$found" ]] && break
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

# wait_output N [TIMEOUT_S]: polls until N events reached the outputs.
wait_output() {
  local deadline=$(( $(date +%s) + ${2:-300} ))
  while :; do
    local n
    n=$(output_events)
    [[ "$n" -ge "$1" ]] && return 0
    if (( $(date +%s) > deadline )); then echo "timed out at $n events" >&2; return 1; fi
    sleep 0.01
  done
}

# proc_usage PID: prints "CPU_SECONDS PEAK_RSS_MIB" of a running process.
proc_usage() {
  local ticks utime stime peak
  ticks=$(getconf CLK_TCK)
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$1/stat")
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$1/status")
  awk -v u="$utime" -v s="$stime" -v t="$ticks" -v k="$peak" 'BEGIN {printf "%.2f %.1f\n", (u+s)/t, k/1024}'
}
