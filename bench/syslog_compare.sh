#!/usr/bin/env bash
# Side by side, same input, same run: COUNT RFC 5424 messages (~150 bytes,
# octet-counted) from bench/loadgen over one TCP connection into
#   weir      syslog input (tcp) → syslog parser → null
#   rsyslog   imtcp (parses RFC 5424) → omfile writing "x\n" per message
#   syslog-ng syslog(tcp) (RFC 5424, octet counting) → file writing "x\n" per message
# The sender keeps its connection open until the daemon is done (syslog-ng
# stops reading a half-closed connection early). rsyslog and syslog-ng have
# no counter we can poll cheaply, so they write
# two bytes per message and the script waits for the file to reach 2 × COUNT
# bytes. Prints msg/s (first byte sent → last message handled), CPU seconds
# and peak RSS of each daemon.
#
# Needs root the first time: installs Debian's rsyslog with apt-get, and
# unpacks Debian's syslog-ng (which conflicts with rsyslog) with apt-get
# download + dpkg-deb -x into $TOOLS (default /var/tmp/weir-bench-tools).
#
#   bench/syslog_compare.sh [COUNT]        # default 1,000,000
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
weir=${WEIR_BIN:-build/weir}
loadgen=${LOADGEN:-$(dirname "$weir")/bench/loadgen}
tools=${TOOLS:-/var/tmp/weir-bench-tools}
work=$(mktemp -d /tmp/weir-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
source bench/lib.sh

ensure_tools() {
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v rsyslogd > /dev/null; then
    apt-get install -y -qq --no-install-recommends rsyslog > /dev/null
  fi
  if [[ ! -x "$tools/syslog-ng/usr/sbin/syslog-ng" ]]; then
    apt-get install -y -qq --no-install-recommends libivykis0 libnet1 libjson-c5 libwrap0 libglib2.0-0 > /dev/null
    mkdir -p "$tools"
    (cd "$tools" && apt-get download -qq syslog-ng-core && dpkg-deb -x syslog-ng-core_*.deb syslog-ng)
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_file_size PATH BYTES: polls until the file has that many bytes.
wait_file_size() {
  local deadline=$(( $(date +%s) + 300 ))
  while :; do
    local n
    n=$(stat -c %s "$1" 2>/dev/null || echo 0)
    [[ "$n" -ge "$2" ]] && return 0
    if (( $(date +%s) > deadline )); then echo "timed out at $n bytes of $1" >&2; return 1; fi
    sleep 0.01
  done
}

# wait_listening PORT: polls until something accepts on the port.
wait_listening() {
  for _ in $(seq 1 1000); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),timeout=1).close()" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "daemon exited" >&2; return 1; }
    sleep 0.01
  done
  return 1
}

report() {  # NAME START_NS END_NS
  local secs rate cpu rss
  read -r cpu rss < <(proc_usage "$pid")
  secs=$(awk -v a="$2" -v b="$3" 'BEGIN {printf "%.3f", (b-a)/1e9}')
  rate=$(awk -v n="$count" -v s="$secs" 'BEGIN {printf "%d", n/s}')
  printf "%-10s %10s msg/s  %7ss  CPU %6ss  peak RSS %6s MiB\n" "$1" "$rate" "$secs" "$cpu" "$rss"
  results+=("scenario=syslog_tcp_compare system=$1 messages=$count seconds=$secs msg_per_s=$rate cpu_s=$cpu peak_rss_mib=$rss")
}

run_weir() {
  weir_start "name: bench
inputs:
  - {type: syslog, name: tcp_in, mode: tcp, listen: \"127.0.0.1:0\"}
parser:
  type: syslog
outputs:
  - type: null"
  local in_port start end
  in_port=$(wait_log 'component=input:syslog:tcp_in msg="listening on tcp://127.0.0.1:[0-9]*')
  start=$(date +%s%N)
  "$loadgen" syslog "$in_port" "$count" > "$work/loadgen-weir.log"
  wait_output "$count"
  end=$(date +%s%N)
  report weir "$start" "$end"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
}

run_rsyslog() {
  local p start end sender
  p=$(free_port)
  mkdir -p "$work/rsyslog"
  cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imtcp")
template(name="x" type="string" string="x\n")
ruleset(name="bench") {
  action(type="omfile" file="$work/rsyslog.out" template="x")
}
input(type="imtcp" address="127.0.0.1" port="$p" ruleset="bench")
CONF
  rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" 2> "$work/rsyslog.err" &
  pid=$!
  wait_listening "$p"
  start=$(date +%s%N)
  "$loadgen" syslog "$p" "$count" --hold 300 > "$work/loadgen-rsyslog.log" &
  sender=$!
  wait_file_size "$work/rsyslog.out" $((count * 2))
  end=$(date +%s%N)
  kill "$sender"; wait "$sender" || true
  report rsyslog "$start" "$end"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
}

run_syslog_ng() {
  local p start end sender root="$tools/syslog-ng"
  p=$(free_port)
  cat > "$work/syslog-ng.conf" <<CONF
@version: 3.38
options { stats_freq(0); };
source s_net { syslog(ip("127.0.0.1") port($p) transport("tcp")); };
destination d_file { file("$work/syslog-ng.out" template("x\n")); };
log { source(s_net); destination(d_file); };
CONF
  LD_LIBRARY_PATH="$root/usr/lib/syslog-ng" "$root/usr/sbin/syslog-ng" -F -f "$work/syslog-ng.conf" \
    --module-path="$root/usr/lib/syslog-ng/3.38" --persist-file="$work/syslog-ng.persist" \
    --pidfile="$work/syslog-ng.pid" --control="$work/syslog-ng.ctl" 2> "$work/syslog-ng.err" &
  pid=$!
  wait_listening "$p"
  start=$(date +%s%N)
  "$loadgen" syslog "$p" "$count" --hold 300 > "$work/loadgen-syslog-ng.log" &
  sender=$!
  wait_file_size "$work/syslog-ng.out" $((count * 2))
  end=$(date +%s%N)
  kill "$sender"; wait "$sender" || true
  report syslog-ng "$start" "$end"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
}

ensure_tools
results=()
echo "syslog over TCP, $count RFC 5424 messages, one connection"
run_weir
run_rsyslog
run_syslog_ng
printf '%s\n' "${results[@]}"
