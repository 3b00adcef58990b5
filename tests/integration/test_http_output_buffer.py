"""The http output's buffer and spool with the real daemon: a spool on a full
filesystem (counted, logged, bounded, spool_full applied), memory_buffer_size
bounding the memory actually held, requests acknowledged once spooled so an
agent killed during an outage re-reads almost nothing, and credentials in the
URL (Basic auth, never printed) or over plain http:// (a warning)."""
import base64
import gzip
import http.server
import json
import os
import subprocess
import tempfile
import threading

import pytest

from weirtest import WEIR_BIN, Daemon, metric, wait_until
from test_agent_aggregator import aggregator, agent, delivered, free_port, write_lines


def spool_dir(d):
    return os.path.join(d.data_dir, "state", "agent", "ship", "spool")


def input_out(d):
    return metric(d.metrics(), "weir_events_out_total", kind="input")


# ---- a spool on a full filesystem ---------------------------------------------------

class FullTmpfs:
    """A 256 KiB tmpfs mounted at `path`, filled up so that every write fails."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {r.stderr.strip()}")
        try:
            with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
                try:
                    for _ in range(1024):  # bounded: 1024 x 4 KiB > 256 KiB
                        f.write(b"\0" * 4096)
                except OSError:
                    pass
            assert os.statvfs(path).f_bavail == 0, "the tmpfs still has room"
        except BaseException:
            self.unmount()  # the test's finally does not run for a failed constructor
            raise

    def unmount(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)


def full_disk_agent(port, log_dir, policy):
    # A long retry delay: failed spool writes must be reported while the
    # sender waits to retry, not only when it next tries the endpoint.
    return Daemon({"agent.yaml": f"""
name: agent
inputs:
  - type: file
    name: app
    paths: [{json.dumps(os.path.join(log_dir, "*.log"))}]
    read_from_head: true
    poll_interval: 20ms
outputs:
  - type: http
    name: ship
    url: http://127.0.0.1:{port}/v1/logs
    batch_max_events: 500
    batch_timeout: 100ms
    retry_initial: 20s
    retry_max: 20s
    memory_buffer_size: 64KiB
    spool_full: {policy}
batch:
  max_events: 250
"""})


def test_full_spool_disk_is_counted_logged_and_blocks_within_the_memory_bound(tmp_path):
    port = free_port()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    total = 100000
    agg = aggregator(port)
    ag = full_disk_agent(port, str(log_dir), "block")
    disk = FullTmpfs(spool_dir(ag))
    try:
        ag.start()
        write_lines(str(log_dir / "app.log"), 0, total, chunk=5000, pause=0)
        wait_until(lambda: metric(ag.metrics(), "weir_errors_total", reason="spool_write_failed") >= 1,
                   message="failed spool writes counted")
        wait_until(lambda: "cannot write to the spool" in ag.stderr(), message="the failure logged")
        assert "No space left on device" in ag.stderr()
        # spool_full: block pushes back: while the spool keeps failing (retried
        # about once a second), the file input stays held up short of the end.
        # (The first failure comes early: while the endpoint fails, the spool
        # is tried first, then memory up to its bound.)
        def failed():
            return metric(ag.metrics(), "weir_errors_total", reason="spool_write_failed")
        wait_until(lambda: failed() >= 2, timeout=30, message="the spool retried")
        held = input_out(ag)
        wait_until(lambda: failed() >= 5, timeout=30, message="the spool retried while blocked")
        assert input_out(ag) == held, "the input kept reading while the output was full"
        assert held < total, "the input was not held back"
        assert metric(ag.metrics(), "weir_events_dropped_total") == 0
        assert os.listdir(spool_dir(ag)) == ["filler"] or sorted(os.listdir(spool_dir(ag))) == [".lock", "filler"]
        # Errors are logged with a limit, not once per attempt.
        assert ag.stderr().count("spool writes still failing") + ag.stderr().count("cannot write to the spool") <= 3
        # The endpoint comes back: everything arrives, once, from memory.
        agg.start()
        wait_until(lambda: len(delivered(agg)) >= total, timeout=120, message="every line delivered")
        got = delivered(agg)
        assert sorted(got) == list(range(total)), "lines lost or duplicated"
    finally:
        ag.cleanup()
        agg.cleanup()
        disk.unmount()


def test_full_spool_disk_with_drop_newest_counts_the_drops(tmp_path):
    port = free_port()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    total = 20000
    agg = aggregator(port)
    ag = full_disk_agent(port, str(log_dir), "drop_newest")
    disk = FullTmpfs(spool_dir(ag))
    try:
        ag.start()
        write_lines(str(log_dir / "app.log"), 0, total, chunk=2000, pause=0)

        def dropped():
            return metric(ag.metrics(), "weir_events_dropped_total", reason="spool_write_failed")
        wait_until(lambda: dropped() > 0, message="drops counted with their reason")
        wait_until(lambda: input_out(ag) >= total, message="the input not held back")
        agg.start()
        wait_until(lambda: len(delivered(agg)) + dropped() >= total, timeout=120,
                   message="every line delivered or counted as dropped")
        got = delivered(agg)
        assert len(got) == len(set(got))
        assert len(got) + dropped() == total
        assert metric(ag.metrics(), "weir_errors_total", reason="spool_write_failed") >= 1
    finally:
        ag.cleanup()
        agg.cleanup()
        disk.unmount()


# ---- memory_buffer_size bounds the memory held ---------------------------------------

def test_memory_buffer_size_bounds_the_memory_held_against_a_dead_endpoint(tmp_path):
    port = free_port()  # nobody listens
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    total = 600000
    # No spool: everything waits in memory, bounded by the default 8 MiB, then blocks.
    ag = agent(port, str(log_dir), "    spool_max_size: 0\n", batch=1000, request_events=1000)
    try:
        ag.start()
        with open(log_dir / "app.log", "w") as f:  # lines that do not compress to nothing
            for i in range(0, total, 10000):
                f.write("".join(f"line {n} {os.urandom(12).hex()}\n" for n in range(i, i + 10000)))

        def failures():
            return metric(ag.metrics(), "weir_errors_total", reason="send_failed")
        # Held up: the input's count stops moving while the sender keeps failing.
        last = {"n": -1, "f": 0}

        def settled():
            n, f = input_out(ag), failures()
            if f < last["f"] + 2:
                return False
            same = n == last["n"]
            last["n"], last["f"] = n, f
            return same
        wait_until(settled, timeout=120, interval=0.2, message="the pipeline held up by the full buffer")
        assert input_out(ag) < total, "nothing held back: the bound did not apply"
        assert metric(ag.metrics(), "weir_events_dropped_total") == 0
        rss = ag.peak_rss_kib() / 1024
        print(f"peak RSS {rss:.1f} MiB with {input_out(ag):.0f} of {total} lines taken in")
        # 21 MiB measured; 52 MiB when compressed bodies kept their worst-case
        # buffers (about their uncompressed size) while only their length was counted.
        if os.environ.get("WEIR_SANITIZED") != "1":  # sanitizers add their own memory
            assert rss < 40, f"peak RSS {rss:.1f} MiB"
    finally:
        ag.cleanup()


# ---- an agent killed during an outage -----------------------------------------------

def test_agent_killed_during_an_outage_replays_the_spool_and_rereads_little(tmp_path):
    port = free_port()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log = str(log_dir / "app.log")
    total = 30000
    agg = aggregator(port)
    ag = agent(port, str(log_dir), batch=250, request_events=500)  # default memory_buffer_size
    writer = threading.Thread(target=write_lines, args=(log, 0, total, 500, 0.05))
    try:
        ag.start()
        writer.start()
        # The endpoint is down: what waits goes to the spool and is acknowledged.
        # Killed while lines are still being read and spooled.
        wait_until(lambda: metric(ag.metrics(), "weir_outcomes_total", outcome="spooled") >= 10000,
                   timeout=60, message="lines spooled")
        ag.kill9()
        spooled_files = len([f for f in os.listdir(spool_dir(ag)) if f.endswith(".req")])
        assert spooled_files >= 20
        agg.start()
        agg.listen_port("api", scheme="http")
        ag.start()
        writer.join()
        wait_until(lambda: set(range(total)) <= set(delivered(agg)), timeout=120, message="every line delivered")
        wait_until(lambda: not [f for f in os.listdir(spool_dir(ag)) if f.endswith(".req")], message="spool emptied")
        got = delivered(agg)
        dups = len(got) - len(set(got))
        print(f"{len(got)} lines received for {total} written: {dups} duplicates after kill -9 during the outage "
              f"({spooled_files} requests were in the spool)")
        # Only what was not yet spooled is read again: at most the request being
        # filled (500 events) and a pipeline batch (250), not the whole spool.
        assert dups <= 750, dups
    finally:
        if writer.is_alive():
            writer.join()
        ag.cleanup()
        agg.cleanup()


def test_clean_stop_during_an_outage_is_quick_and_loses_nothing(tmp_path):
    port = free_port()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    agg = aggregator(port)
    ag = agent(port, str(log_dir), batch=100, request_events=200)
    try:
        ag.start()
        write_lines(str(log_dir / "app.log"), 0, 3000, chunk=500, pause=0)
        wait_until(lambda: metric(ag.metrics(), "weir_outcomes_total", outcome="spooled") >= 3000,
                   message="everything spooled")
        assert ag.terminate(timeout=20) == 0  # nothing owed: no drain deadline to wait for
        assert "abandoning" not in ag.stderr()
        agg.start()
        agg.listen_port("api", scheme="http")
        ag.start()
        wait_until(lambda: len(delivered(agg)) >= 3000, message="the spool replayed")
        wait_until(lambda: not [f for f in os.listdir(spool_dir(ag)) if f.endswith(".req")], message="spool emptied")
        assert sorted(delivered(agg)) == list(range(3000))
    finally:
        ag.cleanup()
        agg.cleanup()


# ---- credentials ----------------------------------------------------------------------

class Receiver:
    """A minimal HTTP endpoint on loopback that records Authorization headers and lines."""

    def __init__(self, port):
        self.auth = []
        self.lines = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                outer.auth.append(self.headers.get("Authorization"))
                outer.lines += [json.loads(l)["message"] for l in body.decode().splitlines() if l]
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


SECRET = "s3cr/et@x:y"
SECRET_URL = "weir-agent:s3cr%2Fet%40x%3Ay"


def test_url_userinfo_is_basic_auth_and_never_printed(tmp_path):
    port = free_port()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    ag = Daemon({"agent.yaml": f"""
name: agent
inputs:
  - {{type: file, name: app, paths: [{json.dumps(str(log_dir / "*.log"))}], read_from_head: true, poll_interval: 20ms}}
outputs:
  - type: http
    name: ship
    url: http://{SECRET_URL}@127.0.0.1:{port}/v1/logs
    batch_timeout: 100ms
    retry_initial: 100ms
    retry_max: 200ms
"""})
    rx = None
    try:
        ag.start()
        write_lines(str(log_dir / "app.log"), 0, 200)
        # Nobody listens yet: the retries are logged, with the password masked.
        wait_until(lambda: "sending to http://weir-agent:***@127.0.0.1:" in ag.stderr(), message="a retry logged")
        rx = Receiver(port)
        wait_until(lambda: len(rx.lines) >= 200, message="200 lines at the receiver")
        assert set(rx.auth) == {"Basic " + base64.b64encode(f"weir-agent:{SECRET}".encode()).decode()}
        ag.terminate()
        for text in (ag.stderr(), open(ag.stdout_path, errors="replace").read()):
            assert "s3cr" not in text and "%2Fet" not in text
    finally:
        ag.cleanup()
        if rx:
            rx.close()


def test_validate_does_not_echo_secrets(tmp_path):
    cases = {
        "bad port": f"http://{SECRET_URL}@127.0.0.1:80x/v1/logs",
        "bad scheme": f"ftp://{SECRET_URL}@127.0.0.1/v1/logs",
        "slash in password": "http://weir-agent:s3cr/etpass@127.0.0.1/v1/logs",
    }
    for what, url in cases.items():
        d = Daemon({"agent.yaml": f"""
name: agent
inputs: [{{type: stdin}}]
outputs:
  - {{type: http, name: ship, url: {json.dumps(url)}}}
"""}, workdir=tempfile.mkdtemp(dir=tmp_path))
        r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, what
        assert "url" in r.stderr, (what, r.stderr)
        assert "s3cr" not in r.stderr + r.stdout, (what, r.stderr)
    # A malformed header entry is not repeated either (it may hold a token).
    d = Daemon({"agent.yaml": """
name: agent
inputs: [{type: stdin}]
outputs:
  - {type: http, name: ship, url: "http://127.0.0.1:9/", headers: ["X-Token s3cr3t-token"]}
"""}, workdir=tempfile.mkdtemp(dir=tmp_path))
    r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "headers" in r.stderr, r.stderr
    assert "s3cr" not in r.stderr + r.stdout, r.stderr


def test_credentials_over_plain_http_to_another_host_are_warned_about(tmp_path):
    def start(url, extra):
        d = Daemon({"agent.yaml": f"""
name: agent
inputs:
  - {{type: file, name: app, paths: [{json.dumps(str(tmp_path / "none" / "*.log"))}]}}
outputs:
  - type: http
    name: ship
    url: {url}
{extra}
"""}, workdir=tempfile.mkdtemp(dir=tmp_path))
        d.start()  # nothing is read, so nothing is ever sent: no traffic leaves loopback
        return d

    warning = "is sent unencrypted over http://"
    made = []
    try:
        # 192.0.2.10 is TEST-NET-1 (documentation): never contacted, there is nothing to send.
        for url, extra, warned in [
            ("http://192.0.2.10:8080/v1/logs", "    api_key: k-123", True),
            ("http://shipper:pw@192.0.2.10:8080/v1/logs", "", True),
            ("http://192.0.2.10:8080/v1/logs", "    headers: ['Authorization: Bearer k-123']", True),
            ("http://192.0.2.10:8080/v1/logs", "", False),  # no credentials
            ("https://192.0.2.10:8443/v1/logs", "    api_key: k-123", False),
            ("http://127.0.0.1:8080/v1/logs", "    api_key: k-123", False),  # loopback never leaves the host
            ("http://localhost:8080/v1/logs", "    api_key: k-123", False),
        ]:
            d = start(url, extra)
            made.append(d)
            wait_until(lambda: "component=output:http:ship" in d.stderr() or d.status(), message="output created")
            text = d.stderr()
            assert (warning in text) == warned, (url, extra, text)
            if warned:
                assert "level=warn" in [l for l in text.splitlines() if warning in l][0]
                assert "k-123" not in text and ":pw@" not in text
            d.terminate()
    finally:
        for d in made:
            d.cleanup()
