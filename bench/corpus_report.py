#!/usr/bin/env python3
"""Runs real log files through one parser of the real daemon and reports how
many lines it accepts (no _parse_error), how many it marks, and a few of the
refused lines; with --check also how many events have the time written in
their line (its time of day, as hh:mm:ss or hhmmss, is in the line; in the
parser's `timezone` option when it has one — UTC, +hh:mm or a zone name like
Europe/Berlin — else UTC) and a level the line spells (INFO from "INFO",
"info", "I", "notice" ...). Not a test: corpora are not part of the repository.

  bench/corpus_report.py [--weir build/weir] [--options '{format: combined}'] [--check] PARSER FILE...
"""
import argparse
import datetime
import json
import os
import queue
import re
import threading
import signal
import subprocess
import sys
import tempfile
import time
import zoneinfo

# How lines spell each normalised level (whole words; single letters only in upper case).
SPELLINGS = {
    "TRACE": ["trace", "trc", "finest", "finer", "vrb", "verbose", "trce", "T", "V"],
    "DEBUG": ["debug", "dbg", "fine", "dbug", "verbose", "D", "V"],
    "INFO": ["info", "inf", "information", "notice", "config", "I", "N"],
    "WARN": ["warn", "warning", "wrn", "W"],
    "ERROR": ["error", "err", "eror", "severe", "fail", "E"],
    "FATAL": ["fatal", "critical", "crit", "emerg", "alert", "panic", "ftl", "F", "C", "A"],
}


def zone_of(name):
    """A tzinfo for the parser's timezone option (UTC, +hh:mm, -hhmm or an IANA name)."""
    if not name or name in ("UTC", "utc", "Z", "z"):
        return datetime.timezone.utc
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)?", name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return datetime.timezone(sign * datetime.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
    return zoneinfo.ZoneInfo(name)


def time_in_line(ts, line, zone=datetime.timezone.utc):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)", ts or "")
    if not m:
        return False
    t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).astimezone(zone)
    h, mi, s = f"{t.hour:02}", f"{t.minute:02}", f"{t.second:02}"
    return f"{h}:{mi}:{s}" in line or f"{h}{mi}{s}" in line


def level_in_line(level, line):
    head = line[:160]
    for w in SPELLINGS.get(level, []):
        flags = 0 if len(w) == 1 else re.IGNORECASE
        if re.search(r"(?<![A-Za-z])" + re.escape(w) + r"(?![A-Za-z])", head, flags):
            return True
    return False


def run(weir, parser, options, path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")[:-1]  # complete lines; a partial last line waits for its newline
    d = tempfile.mkdtemp(prefix="weir-corpus-")
    os.makedirs(os.path.join(d, "pipelines"))
    with open(os.path.join(d, "weir.yaml"), "w") as f:
        f.write("service:\n  admin_listen: 127.0.0.1:0\n  data_dir: data\n  pipelines_dir: pipelines\n")
    with open(os.path.join(d, "pipelines", "p.yaml"), "w") as f:
        f.write(f"name: corpus\ninputs:\n  - type: file\n    paths: [{json.dumps(os.path.abspath(path))}]\n"
                f"    read_from_head: true\nparser:\n  type: {parser}\n")
        for k, v in (options or {}).items():
            f.write(f"  {k}: {json.dumps(v)}\n")
        f.write("outputs:\n  - type: stdout\n")
    proc = subprocess.Popen([weir, "run", "--config", os.path.join(d, "weir.yaml")], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    got, refused, fields = 0, [], {}
    good_time = good_level = 0
    zone = zone_of((options or {}).get("timezone"))
    q = queue.Queue()

    def pump():
        for line in proc.stdout:
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 60
    try:
        # Blank lines make no event, so stop at the line count or when the
        # daemon has been quiet for a few seconds.
        idle_until = time.monotonic() + 10
        while got < len(lines) and time.monotonic() < min(deadline, idle_until):
            try:
                out = q.get(timeout=0.5)
            except queue.Empty:
                continue
            if out is None:
                break
            idle_until = time.monotonic() + 3
            ev = json.loads(out)
            raw = lines[got].decode("utf-8", "replace") if got < len(lines) else ""
            got += 1
            if "_parse_error" not in ev:
                good_time += time_in_line(ev.get("@timestamp"), raw, zone)
                good_level += isinstance(ev.get("level"), str) and level_in_line(ev["level"], raw)
            if "_parse_error" in ev:
                refused.append((ev["_parse_error"], ev.get("message", "")))
            for k in ev:
                fields[k] = fields.get(k, 0) + 1
            if "_parser" in ev:  # auto: which parser took the line
                key = "_parser=" + str(ev["_parser"])
                fields[key] = fields.get(key, 0) + 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return len(lines), got, refused, fields, good_time, good_level


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weir", default=os.path.join(os.path.dirname(__file__), "..", "build", "weir"))
    ap.add_argument("--options", default="{}", help="parser options as JSON")
    ap.add_argument("--check", action="store_true", help="also report events with the line's time and level")
    ap.add_argument("parser")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    for path in a.files:
        total, got, refused, fields, good_time, good_level = run(a.weir, a.parser, json.loads(a.options), path)
        ok = got - len(refused)
        print(f"{a.parser:8} {os.path.basename(path):36} lines {total:6}  events {got:6}  accepted {ok:6} "
              f"({100.0 * ok / max(total, 1):5.1f}%)  fields: {', '.join(sorted(k for k in fields if '=' not in k))}")
        if a.check:
            print(f"    time from the line {100.0 * good_time / max(total, 1):5.1f}%   "
                  f"level from the line {100.0 * good_level / max(total, 1):5.1f}%")
        taken = {k.split('=', 1)[1]: v for k, v in fields.items() if k.startswith('_parser=')}
        if taken:
            print("    parsers: " + ", ".join(f"{k} {v}" for k, v in sorted(taken.items(), key=lambda kv: -kv[1])))
        for why, msg in refused[:3]:
            print(f"    refused ({why}): {msg[:110]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
