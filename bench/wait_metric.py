#!/usr/bin/env python3
"""Waits until a counter on weir's /metrics reaches a value; prints the wall
clock (ns since the epoch) at which it was first seen there.

One process, one keep-alive connection, a poll every --interval seconds: the
waiting costs the machine almost nothing (a curl + awk per poll in a shell
loop costs several milliseconds of CPU each, which on two cores slows the
daemon being measured).

  bench/wait_metric.py --port 8686 --metric weir_events_out_total \\
      --label 'kind="output"' --at-least 2000000 [--interval 0.005] [--timeout 300]
  bench/wait_metric.py --port-from-log DIR/stderr.log ...   # the port weir logs at start
  ... --pid PID | --pid-file FILE: stop waiting (exit 1) once weir has ended
"""
import argparse
import http.client
import os
import re
import sys
import time


def total(conn, metric, label):
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode("utf-8", "replace")
    s = 0.0
    for line in body.splitlines():
        if not line.startswith(metric + "{") and not line.startswith(metric + " "):
            continue
        if label and label not in line:
            continue
        s += float(line.rsplit(" ", 1)[1])
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--port-from-log", help="read the admin port from weir's log as it starts")
    ap.add_argument("--pid", type=int, help="give up (exit 1) once this process has ended")
    ap.add_argument("--pid-file", help="as --pid, the number read from this file once it is there")
    ap.add_argument("--metric", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--at-least", type=float, required=True)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    deadline = time.monotonic() + a.timeout

    def alive():
        if a.pid is None and a.pid_file:
            try:
                with open(a.pid_file) as f:
                    a.pid = int(f.read().strip() or "0") or None
            except (OSError, ValueError):
                pass
        if a.pid is None:
            return True
        try:
            os.kill(a.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        try:  # a zombie (ended, not yet waited for) counts as ended
            with open(f"/proc/{a.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    if a.port is None:
        if not a.port_from_log:
            ap.error("--port or --port-from-log is required")
        while a.port is None:
            try:
                with open(a.port_from_log) as f:
                    m = re.search(r'component=admin msg="listening on https?://[^ ]*:(\d+)', f.read())
            except OSError:
                m = None
            if m:
                a.port = int(m.group(1))
            elif time.monotonic() > deadline or not alive():
                print("weir did not log its admin port", file=sys.stderr)
                return 1
            else:
                time.sleep(a.interval)
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    n = 0.0
    while time.monotonic() < deadline:
        try:
            n = total(conn, a.metric, a.label)
        except (OSError, http.client.HTTPException):
            if not alive():
                print("weir has ended", file=sys.stderr)
                return 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
            time.sleep(a.interval)
            continue
        if n >= a.at_least:
            print(time.time_ns())
            return 0
        time.sleep(a.interval)
    print(f"timed out at {n:.0f} of {a.at_least:.0f}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
