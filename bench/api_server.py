#!/usr/bin/env python3
"""API server benchmark: requests/s for /metrics and /api/v1/status with 50
concurrent keep-alive clients (wrk, installed from Debian when missing), and
the latency of /health (p50, p99, max) while a reload drains a pipeline
whose stdout output is blocked on a pipe nobody reads (the drain waits its
10 s deadline).

    bench/api_server.py [build/weir] [--seconds 10] [--connections 50]
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def wait_for(pred, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    sys.exit(f"timed out waiting for {what}")


def get(port, path, method="GET", timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Weir:
    def __init__(self, binary, pipeline, stdout):
        self.dir = tempfile.mkdtemp(prefix="weir-bench-api-")
        os.makedirs(os.path.join(self.dir, "pipelines"))
        with open(os.path.join(self.dir, "weir.yaml"), "w") as f:
            f.write(f"service:\n  admin_listen: 127.0.0.1:0\n  data_dir: {self.dir}/data\n  log_level: info\n"
                    "  pipelines_dir: pipelines\n")
        self.write(pipeline)
        self.err = os.path.join(self.dir, "stderr.log")
        with open(self.err, "wb") as e:
            self.proc = subprocess.Popen([binary, "run", "--config", os.path.join(self.dir, "weir.yaml")],
                                         stdin=subprocess.DEVNULL, stdout=stdout, stderr=e)
        self.port = int(wait_for(self._port, what="the admin listener"))

    def write(self, text):
        path = os.path.join(self.dir, "pipelines", "bench.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def log(self):
        with open(self.err, errors="replace") as f:
            return f.read()

    def _port(self):
        if self.proc.poll() is not None:
            sys.exit("weir exited:\n" + self.log())
        m = re.search(r'listening on http://127\.0\.0\.1:(\d+)', self.log())
        return m and m.group(1)

    def stop(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def ensure_wrk():
    if shutil.which("wrk"):
        return "wrk"
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return "wrk"


def wrk(port, path, seconds, connections):
    out = subprocess.run([ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weir", nargs="?", default="build/weir")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="weir-bench-api-log-")
    log = os.path.join(work, "app.log")
    with open(log, "w") as f:
        for i in range(100_000):
            f.write('{"seq":%d,"message":"line %d"}\n' % (i, i))
    pipeline = (f'inputs:\n  - type: file\n    paths: ["{log}"]\n    read_from_head: true\n'
                'parser:\n  type: json\nfilters:\n  - type: modify\n    set: [env=bench]\n'
                'outputs:\n  - type: null\n')

    w = Weir(a.weir, pipeline, subprocess.DEVNULL)
    try:
        get(w.port, "/metrics")
        for path in ("/metrics", "/api/v1/status", "/health"):
            rps, p99, bad = wrk(w.port, path, a.seconds, a.connections)
            print(f"{path:<16} {a.connections} keep-alive clients: {rps:10.0f} requests/s  p99 {p99}"
                  + (f"  ({bad} non-2xx)" if bad else ""))
    finally:
        w.stop()

    # /health while a reload drains a blocked pipeline for 10 s.
    r, wfd = os.pipe()  # never read: the stdout output blocks once it is full
    blocked = pipeline.replace("type: null", "type: stdout")
    w = Weir(a.weir, blocked, wfd)
    os.close(wfd)
    try:
        def emitted():
            _, body = get(w.port, "/metrics")
            return sum(float(l.split()[-1]) for l in body.decode().splitlines()
                       if l.startswith("weir_events_out_total{") and 'kind="input"' in l) >= 20_000
        wait_for(emitted, what="the input far ahead of the blocked output")
        w.write(blocked + "workers: 2\n")
        took = {}

        def reload():
            t0 = time.monotonic()
            took["status"] = get(w.port, "/api/v1/reload", "POST")[0]
            took["s"] = time.monotonic() - t0
        t = threading.Thread(target=reload)
        t.start()
        wait_for(lambda: "reload requested" in w.log(), what="the reload")
        lat = []
        while t.is_alive() and len(lat) < 100_000:
            t0 = time.monotonic()
            get(w.port, "/health")
            lat.append(time.monotonic() - t0)
        t.join()
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
        print(f"/health during a {took['s']:.1f} s reload drain (status {took['status']}): n={len(lat)} "
              f"p50 {q(0.5):.2f} ms  p99 {q(0.99):.2f} ms  max {lat[-1] * 1000:.2f} ms")
    finally:
        w.stop()
        os.close(r)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
