#!/usr/bin/env python3
"""kill -9 during ingest, with rotation by rename and by copytruncate.

A writer appends numbered lines to logs/app.log at a steady rate and rotates
it every ROTATE_S seconds, alternating logrotate's two ways: rename (app.log
→ app.log.1, older ones shifted, a new app.log) and copytruncate (app.log
copied to app.log.1, then emptied in place). Rotated files are kept, never
deleted, so every line stays readable and whatever is missing is the
daemon's loss. Meanwhile weir (file input on logs/*.log → stdout) is killed
with SIGKILL KILLS times, each after a random stretch of ingest, and
restarted after a random pause (rotations also happen while it is down).
At the end weir runs until it has everything or delivers nothing more for
SETTLE_S seconds; the script prints lines written, delivered, lost and
duplicated, with the lost ones split by how the file holding them was
rotated.

Usage: bench/rotation_crash.py [WEIR_BIN] (default build/weir). Environment:
KILLS (20), RATE (lines/s, 4000), ROTATE_S (0.7), SEED (1), TIME_LIMIT_S (300).
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

WEIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/weir")
KILLS = int(os.environ.get("KILLS", "20"))
RATE = int(os.environ.get("RATE", "4000"))
ROTATE_S = float(os.environ.get("ROTATE_S", "0.7"))
TIME_LIMIT_S = float(os.environ.get("TIME_LIMIT_S", "300"))
SETTLE_S = 10.0
random.seed(int(os.environ.get("SEED", "1")))

work = tempfile.mkdtemp(prefix="weir-rotation-crash-")
logs = os.path.join(work, "logs")
os.makedirs(logs)
os.makedirs(os.path.join(work, "pipelines"))
out_path = os.path.join(work, "out.log")
err_path = os.path.join(work, "stderr.log")
with open(os.path.join(work, "weir.yaml"), "w") as f:
    f.write(f"service:\n  admin_listen: 127.0.0.1:0\n  data_dir: {work}/data\n  log_level: {os.environ.get('LOG_LEVEL', 'info')}\n"
            "  pipelines_dir: pipelines\n")
with open(os.path.join(work, "pipelines", "rot.yaml"), "w") as f:
    f.write(f"""inputs:
  - type: file
    name: app
    paths: ["{logs}/*.log"]
    read_from_head: true
    refresh_interval: 100ms
    rotate_wait: 1s
outputs:
  - type: stdout
    format: body
batch:
  max_events: 500
""")

deadline = time.monotonic() + TIME_LIMIT_S
method_of_gen = {}  # generation of app.log -> how it was rotated away
written = 0
writer_done = threading.Event()
stop_writing = threading.Event()


def rotate(gen):
    """Ends generation `gen` of app.log; returns how."""
    app = os.path.join(logs, "app.log")
    rotated = sorted((int(n.rsplit(".", 1)[1]) for n in os.listdir(logs) if re.fullmatch(r"app\.log\.\d+", n)),
                     reverse=True)
    for n in rotated:  # shift app.log.N → app.log.N+1, newest first
        os.rename(os.path.join(logs, f"app.log.{n}"), os.path.join(logs, f"app.log.{n + 1}"))
    if gen % 2 == 0:
        os.rename(app, os.path.join(logs, "app.log.1"))
        return "rename"
    shutil.copyfile(app, os.path.join(logs, "app.log.1"))
    with open(app, "r+") as f:
        f.truncate(0)
    return "copytruncate"


def writer():
    global written
    gen = 0
    f = open(os.path.join(logs, "app.log"), "a")
    next_rotation = time.monotonic() + ROTATE_S
    tick = 0.01
    per_tick = max(1, int(RATE * tick))
    while not stop_writing.is_set() and time.monotonic() < deadline:
        f.write("".join(f"seq {written + i} gen {gen}\n" for i in range(per_tick)))
        f.flush()
        written += per_tick
        if time.monotonic() >= next_rotation:
            # The writer and the rotation are one thread: no line falls between
            # logrotate's copy and its truncate (that loss is copytruncate's own).
            method_of_gen[gen] = rotate(gen)
            if method_of_gen[gen] == "rename":
                f.close()
                f = open(os.path.join(logs, "app.log"), "a")
            gen += 1
            next_rotation = time.monotonic() + ROTATE_S
        time.sleep(tick)
    f.close()
    method_of_gen.setdefault(gen, "none (last)")
    writer_done.set()


line_re = re.compile(r"^seq (\d+) gen (\d+)$")


def delivered():
    seqs = []
    with open(out_path, "rb") as f:
        for raw in f.read().decode("utf-8", "replace").split("\n"):
            m = line_re.match(raw)  # a line cut by kill -9 does not match
            if m:
                seqs.append((int(m.group(1)), int(m.group(2))))
    return seqs


def start():
    """Starts weir and waits (at most 30 s) until its pipeline runs."""
    offset = os.path.getsize(err_path) if os.path.exists(err_path) else 0
    out = open(out_path, "ab")
    err = open(err_path, "ab")
    p = subprocess.Popen([WEIR, "run", "--config", os.path.join(work, "weir.yaml")], stdout=out, stderr=err,
                         cwd=work)
    out.close()
    err.close()
    ready = time.monotonic() + 30
    while time.monotonic() < ready and p.poll() is None:
        with open(err_path, "rb") as f:
            f.seek(offset)
            if b'component=admin msg="listening on' in f.read():
                break
        time.sleep(0.01)
    return p


t = threading.Thread(target=writer)
kills = 0
try:
    while kills < KILLS and time.monotonic() < deadline:
        p = start()
        if not t.is_alive() and not writer_done.is_set():
            t.start()
        time.sleep(random.uniform(0.3, 1.5))  # ingest, with rotations
        p.kill()
        p.wait()
        kills += 1
        time.sleep(random.uniform(0.0, 1.0))  # down: the writer goes on, and rotates
finally:
    stop_writing.set()
    if t.is_alive():
        t.join()

p = start()
last, last_change = -1, time.monotonic()
while time.monotonic() - last_change < SETTLE_S and time.monotonic() < deadline + 60:
    n = len(set(s for s, _ in delivered()))
    if n != last:
        last, last_change = n, time.monotonic()
    if n >= written:
        break
    time.sleep(0.2)
p.send_signal(signal.SIGTERM)
p.wait(timeout=60)

got = delivered()
unique = set(s for s, _ in got)
gen_of = {s: g for s, g in got}
lost = [s for s in range(written) if s not in unique]
# The generation of a lost line: the nearest delivered line before it tells.
by_method = {}
if lost:
    known = sorted(gen_of)
    import bisect
    for s in lost:
        i = bisect.bisect_left(known, s)
        g = gen_of[known[i - 1]] if i > 0 else 0
        m = method_of_gen.get(g, "?")
        by_method[m] = by_method.get(m, 0) + 1
err = open(err_path).read()
print(f"kills: {kills}, rotations: {len([g for g in method_of_gen if not method_of_gen[g].startswith('none')])} "
      f"({sum(1 for m in method_of_gen.values() if m == 'rename')} rename, "
      f"{sum(1 for m in method_of_gen.values() if m == 'copytruncate')} copytruncate)")
print(f"lines written: {written}")
print(f"lines delivered: {len(got)} ({len(unique)} distinct)")
print(f"lost: {len(lost)}" + (f" (by rotation of the file holding them: {by_method})" if lost else ""))
print(f"duplicates: {len(got) - len(unique)}")
print(f"reported: file_gone {err.count('is gone (deleted')}, rotated_unread {err.count('rewritten while stopped')}, "
      f"recovered after a rotation while stopped {err.count(' while stopped; reading its')}")
print(f"work dir: {work}")
