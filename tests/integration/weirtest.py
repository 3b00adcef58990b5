"""Helpers for integration tests: start the real `weir` daemon on loopback
ports, feed it, and read back what it says through its admin API.

Environment: WEIR_BIN (the daemon), WEIR_BUILD_DIR (its build tree),
WEIR_SOURCE_DIR (the repository)."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

WEIR_BIN = os.environ.get("WEIR_BIN", "build/weir")
SOURCE_DIR = os.environ.get("WEIR_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("WEIR_BUILD_DIR", os.path.dirname(os.path.abspath(WEIR_BIN)))


def wait_until(predicate, timeout=30.0, interval=0.02, message="condition"):
    """Polls `predicate` until it returns a truthy value; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels.items())): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = {}
        if m.group(3):
            for lm in re.finditer(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3)):
                labels[lm.group(1)] = lm.group(2)
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def metric(metrics, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    total = 0.0
    for (n, ls), v in metrics.items():
        if n == name and all((k, str(val)) in ls for k, val in labels.items()):
            total += v
    return total


class Daemon:
    """A weir daemon in its own temp directory.

    `pipelines` maps file names to YAML text. stdout and stderr go to files.
    """

    def __init__(self, pipelines, plugin_dirs=(), workdir=None, stdin=subprocess.DEVNULL, extra_service="",
                 stdout=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="weir-it-")
        self.pipelines_dir = os.path.join(self.dir, "pipelines")
        os.makedirs(self.pipelines_dir, exist_ok=True)
        self.data_dir = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "weir.yaml")
        dirs = ", ".join(json.dumps(d) for d in plugin_dirs)
        with open(self.config, "w") as f:
            f.write(
                "service:\n"
                "  admin_listen: 127.0.0.1:0\n"
                f"  data_dir: {json.dumps(self.data_dir)}\n"
                "  log_level: debug\n"
                "  pipelines_dir: pipelines\n"
                f"{extra_service}"
                f"plugins:\n  dirs: [{dirs}]\n")
        for name, text in pipelines.items():
            self.write_pipeline(name, text)
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdin = stdin
        self.stdout = stdout  # None: to stdout.log; or e.g. subprocess.PIPE (never read: a stuck consumer)
        self.proc = None
        self.port = None
        self.starts = 0

    def write_pipeline(self, name, text):
        path = os.path.join(self.pipelines_dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)  # atomic: a reload never sees half a file

    def remove_pipeline(self, name):
        os.unlink(os.path.join(self.pipelines_dir, name))

    def start(self, wait=True):
        self.starts += 1
        self._stderr_offset = os.path.getsize(self.stderr_path) if os.path.exists(self.stderr_path) else 0
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([WEIR_BIN, "run", "--config", self.config], stdin=self.stdin,
                                     stdout=out if self.stdout is None else self.stdout, stderr=err, cwd=self.dir)
        out.close()
        err.close()
        if wait:
            self.port = int(wait_until(self._listening_port, timeout=60, message="admin listener"))
        return self

    def _listening_port(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"weir exited with {self.proc.returncode}:\n{self.stderr()}")
        text = self.stderr(from_offset=self._stderr_offset)
        m = re.search(r'component=admin msg="listening on http://127\.0\.0\.1:(\d+)', text)
        return m.group(1) if m else None

    def listen_port(self, instance, scheme="tcp", timeout=30):
        """The port the input named `instance` listens on, from its log line
        (inputs bind on their own thread, after the admin listener is up)."""
        pattern = re.compile(r'component=input:\w+:' + re.escape(instance) +
                             r' msg="listening on ' + scheme + r'://(?:127\.0\.0\.1|\[::1\]):(\d+)')

        def find():
            if self.proc.poll() is not None:
                raise AssertionError(f"weir exited with {self.proc.returncode}:\n{self.stderr()}")
            found = pattern.findall(self.stderr(from_offset=self._stderr_offset))
            return int(found[-1]) if found else None
        try:
            return wait_until(find, timeout=timeout, message=f"input {instance} listening on {scheme}")
        except AssertionError as e:
            tail = "\n".join(self.stderr(from_offset=self._stderr_offset).splitlines()[-10:])
            raise AssertionError(f"{e}\nlast lines of its log:\n{tail}") from None

    def stderr(self, from_offset=0):
        with open(self.stderr_path, "rb") as f:
            f.seek(from_offset)
            return f.read().decode("utf-8", "replace")

    def stdout_bytes(self):
        with open(self.stdout_path, "rb") as f:
            return f.read()

    def stdout_lines(self):
        return [l for l in self.stdout_bytes().decode("utf-8", "replace").split("\n") if l]

    def stdout_json(self):
        out = []
        for line in self.stdout_lines():
            out.append(json.loads(line))
        return out

    def request(self, method, path, body=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body)
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def get_json(self, path):
        status, body = self.request("GET", path)
        assert status == 200, (status, body)
        return json.loads(body)

    def metrics(self):
        status, body = self.request("GET", "/metrics")
        assert status == 200, (status, body)
        return parse_metrics(body)

    def status(self):
        return self.get_json("/api/v1/status")

    def reload_http(self):
        status, body = self.request("POST", "/api/v1/reload")
        return status, json.loads(body)

    def reload_signal(self):
        """SIGHUP, then waits until the daemon has recorded one more reload."""
        before = self.reload_count()
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.reload_count() > before, timeout=60, message="reload after SIGHUP")
        return self.status()["last_reload"]

    def reload_count(self):
        s = self.status()["reloads"]
        return s["success"] + s["failure"]

    def terminate(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def _proc_status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def peak_rss_kib(self):
        """VmHWM of the daemon: its peak resident memory so far."""
        return self._proc_status_kib("VmHWM")

    def rss_kib(self):
        """VmRSS of the daemon: its resident memory now."""
        return self._proc_status_kib("VmRSS")

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=30)
