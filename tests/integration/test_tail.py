"""The live tail (GET /api/v1/tail) end to end: lines appended to a file go
through the daemon into the store and out to WebSocket, SSE and NDJSON
subscribers. Exact filtering against search, backfill then live without a
gap or duplicate, reconnect with a cursor, pause/resume and drop notices, a
stalled client, 1,000 subscribers, tenants, tokens and limits."""
import datetime
import hashlib
import http.client
import json
import os
import random
import resource
import select
import socket
import struct
import threading
import time
import urllib.parse

import pytest

from weirtest import Daemon, metric, parse_metrics, wait_until
from wsclient import CLOSE, WebSocket

SANITIZED = os.environ.get("WEIR_SANITIZED", "") not in ("", "0", "false", "FALSE", "OFF", "off")
TOKENS = {"ops-secret": (["read"], None), "acme-secret": (["read"], "acme"), "admin-only": (["admin"], None)}


def pipeline(path):
    return f"""
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
    poll_interval: 10ms
parser:
  type: json
outputs:
  - type: store
"""


def write_tokens(path):
    with open(path, "w") as f:
        f.write("keys:\n")
        for token, (scopes, tenant) in TOKENS.items():
            f.write(f"  - sha256: {hashlib.sha256(token.encode()).hexdigest()}\n    scopes: [{', '.join(scopes)}]\n")
            if tenant:
                f.write(f"    tenant: {tenant}\n")


class Env:
    def __init__(self, daemons, tokens=False, api=""):
        self.tmp = None
        api = ("    tokens_file: tokens.yaml\n" if tokens else "") + api
        d = daemons({}, extra_service=("  api:\n" + api if api else "") + "store:\n  sync: false\n")
        self.log = os.path.join(d.dir, "app.log")
        open(self.log, "w").close()
        if tokens:
            write_tokens(os.path.join(d.dir, "tokens.yaml"))
        d.write_pipeline("p.yaml", pipeline(self.log))
        self.d = d.start()
        self.seq = 0
        self.lock = threading.Lock()

    def append(self, count, **fields):
        """Appends `count` events (seq increasing, time = now); returns their seqs."""
        with self.lock:
            lines, seqs = [], []
            for _ in range(count):
                ev = {"timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds"),
                      "seq": self.seq, "message": f"event {self.seq}", "level": "INFO", "source": "app"}
                ev.update({k: (v(self.seq) if callable(v) else v) for k, v in fields.items()})
                lines.append(json.dumps(ev) + "\n")
                seqs.append(self.seq)
                self.seq += 1
            with open(self.log, "a") as f:
                f.write("".join(lines))
            return seqs

    def search(self, q, token=None, limit=10000):
        path = "/api/v1/logs/search?" + urllib.parse.urlencode({"q": q, "limit": limit, "from": "now-1d"})
        return request(self.d.port, path, token)

    def count(self, q, token=None):
        path = "/api/v1/logs/aggregate?" + urllib.parse.urlencode({"q": q, "from": "now-1d", "exact": "true"})
        status, body, _ = request(self.d.port, path, token)
        assert status == 200, body
        rows = json.loads(body)["results"]
        return rows[0]["count"] if rows else 0

    def wait_stored(self, q, n, token=None):
        return wait_until(lambda: self.count(q, token) >= n, timeout=60, message=f"{n} stored events for {q}")

    def metrics(self, token=None):
        status, body, _ = request(self.d.port, "/metrics", token)
        assert status == 200, body
        return parse_metrics(body)


def request(port, path, token=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body, r


def tail(env, token=None, **params):
    path = "/api/v1/tail" + ("?" + urllib.parse.urlencode(params) if params else "")
    return WebSocket(env.d.port, path, headers={"Authorization": "Bearer " + token} if token else None, timeout=30)


def recv_json(ws):
    return ws.recv_json()


def collect(ws, until, timeout=30, skip=("heartbeat",)):
    """Messages until `until(msgs)` holds (heartbeats left out)."""
    msgs = []
    deadline = time.monotonic() + timeout
    while not until(msgs):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; got {len(msgs)} messages, last {msgs[-3:]}")
        m = recv_json(ws)
        if m["type"] not in skip:
            msgs.append(m)
    return msgs


class Reader:
    """Reads a subscriber's messages on a thread of its own (as a browser
    would), so that reading one never makes another fall behind."""

    def __init__(self, ws):
        self.ws = ws
        self.msgs = []
        self.cv = threading.Condition()
        self.error = None
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            while True:
                m = recv_json(self.ws)
                with self.cv:
                    if m["type"] != "heartbeat":
                        self.msgs.append(m)
                    self.cv.notify_all()
        except Exception as e:  # closed
            with self.cv:
                self.error = e
                self.cv.notify_all()

    def wait(self, until, timeout=30):
        with self.cv:
            ok = self.cv.wait_for(lambda: until(self.msgs) or self.error, timeout=timeout)
            assert ok and until(self.msgs), f"got {len(self.msgs)} messages, last {self.msgs[-3:]}; {self.error}"
            return list(self.msgs)

    def close(self):
        try:
            self.ws.send(struct.pack("!H", 1000), CLOSE)
        except OSError:
            pass
        self.ws.sock.close()


def logs(msgs):
    return [m for m in msgs if m["type"] == "log"]


def seqs_of(msgs):
    return [m["data"]["seq"] for m in msgs if m["type"] == "log"]


def live_at(msgs):
    return next(i for i, m in enumerate(msgs) if m["type"] == "live")


def test_filter_matches_search_exactly(daemons):
    """Randomized: several subscribers with different filters; what each got
    is exactly what a search over the same events returns (buffers large
    enough that nothing is dropped)."""
    env = Env(daemons, api="    tail_buffer: 10000\n")
    rng = random.Random(1405)
    queries = ["level:ERROR AND source:payment-service", "level:(WARN OR ERROR) NOT source:db",
               "status>=500", "timeout", "user_id EXISTS AND level:INFO", "*"]
    subs = {q: Reader(tail(env, q=q)) for q in queries}
    for ws in subs.values():
        assert ws.wait(lambda m: m)[0]["type"] == "live"
    levels, sources = ["INFO", "WARN", "ERROR", "DEBUG"], ["payment-service", "db", "web", "checkout"]
    fields = {"level": lambda s: rng.choice(levels), "source": lambda s: rng.choice(sources),
              "status": lambda s: rng.choice([200, 200, 404, 500, 503]),
              "message": lambda s: f"event {s} " + rng.choice(["ok", "timeout talking to db", "slow"])}
    for _ in range(6):
        env.append(200, **fields)
        env.append(1, user_id="u1", level="INFO")
    env.wait_stored("*", 1206)
    for q, ws in subs.items():
        want = env.search(q)
        want_ids = sorted(r["_id"] for r in json.loads(want[1])["results"])
        got = logs(ws.wait(lambda m: len(logs(m)) >= len(want_ids)))
        assert sorted(m["id"] for m in got) == want_ids, q
        # Delivered in commit order: cursors increase.
        cursors = [tuple(int(x) for x in m["cursor"].split("-")) for m in got]
        assert cursors == sorted(cursors), q
    for ws in subs.values():
        ws.close()


def test_backfill_then_live_without_gap_or_duplicate(daemons):
    env = Env(daemons)
    env.append(50)
    env.wait_stored("*", 50)
    stop = threading.Event()

    def writer():  # events keep arriving while the subscriber connects
        for _ in range(30):
            if stop.is_set():
                return
            env.append(5)
            time.sleep(0.005)

    t = threading.Thread(target=writer)
    t.start()
    ws = tail(env, backfill=20)
    t.join()
    last = env.seq - 1
    msgs = collect(ws, lambda m: last in seqs_of(m))
    stop.set()
    i = live_at(msgs)
    assert len(logs(msgs[:i])) == 20  # the backfill: the 20 newest at that moment
    got = seqs_of(msgs)
    assert got == list(range(got[0], last + 1)), got  # contiguous: no gap, no duplicate
    ws.close()


def test_reconnect_with_cursor_gets_exactly_what_it_missed(daemons):
    env = Env(daemons)
    ws = tail(env, q="level:INFO")
    assert recv_json(ws)["type"] == "live"
    env.append(40, level=lambda s: "INFO" if s % 2 == 0 else "DEBUG")
    got = collect(ws, lambda m: len(logs(m)) >= 10)
    cursor = logs(got)[9]["cursor"]
    seen = seqs_of(got)[:10]
    ws.close()
    env.append(60, level=lambda s: "INFO" if s % 2 == 0 else "DEBUG")
    env.wait_stored("level:INFO", 50)
    ws = tail(env, q="level:INFO", cursor=cursor)
    msgs = collect(ws, lambda m: any(x["type"] == "live" for x in m))
    replayed = seqs_of(msgs)
    assert seen + replayed == list(range(0, 100, 2))
    env.append(4, level="INFO")  # then live again
    more = collect(ws, lambda m: len(logs(m)) >= 4)
    assert seqs_of(more) == [100, 101, 102, 103]
    ws.close()
    # A cursor the tail never sent is refused with an error message.
    bad = tail(env, cursor="not-a-cursor")
    m = recv_json(bad)
    assert m["type"] == "error" and "cursor" in m["error"]


def test_pause_resume_and_drop_notice(daemons):
    env = Env(daemons, api="    tail_buffer: 100\n")
    ws = tail(env)
    assert recv_json(ws)["type"] == "live"
    env.append(10)
    first = collect(ws, lambda m: len(logs(m)) >= 10)
    resume_from = logs(first)[-1]["cursor"]
    ws.send(json.dumps({"type": "pause"}))
    # The pause reached the server once a heartbeat says so (or once events
    # stop flowing): wait for the heartbeat flag.
    wait_until(lambda: recv_json(ws).get("paused") is True, timeout=20, message="paused heartbeat")
    env.append(250)
    env.wait_stored("*", 260)
    wait_until(lambda: metric(env.metrics(), "weir_tail_dropped_total", reason="paused") >= 150,
               message="drops counted while paused")
    ws.send(json.dumps({"type": "resume"}))
    msgs = collect(ws, lambda m: len(logs(m)) >= 100)
    dropped = [m for m in msgs if m["type"] == "dropped"]
    assert len(dropped) == 1 and dropped[0]["count"] == 150 and dropped[0]["resume"] == resume_from, \
        (dropped, resume_from, msgs[:3])
    assert seqs_of(msgs) == list(range(160, 260)), seqs_of(msgs)  # the newest 100 were kept
    ws.close()
    # The resume cursor gives back exactly what was dropped (and the rest).
    again = tail(env, cursor=resume_from)
    msgs = collect(again, lambda m: any(x["type"] == "live" for x in m))
    assert seqs_of(msgs) == list(range(10, 260)), seqs_of(msgs)
    again.close()


def test_stalled_client_does_not_stall_ingest_or_others(daemons):
    env = Env(daemons, api="    tail_buffer: 200\n")
    stalled = tail(env)
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader = tail(env)
    assert recv_json(reader)["type"] == "live"
    n = 20000
    t0 = time.monotonic()
    for _ in range(20):
        env.append(n // 20, message=lambda s: f"event {s} " + "x" * 200)
    env.wait_stored("*", n)
    took = time.monotonic() - t0
    # The reader accounts for every event: delivered or reported dropped.
    got, dropped = 0, 0
    deadline = time.monotonic() + 60
    while got + dropped < n and time.monotonic() < deadline:
        m = recv_json(reader)
        if m["type"] == "log":
            got += 1
        elif m["type"] == "dropped":
            dropped += m["count"]
    assert got + dropped == n
    wait_until(lambda: metric(env.metrics(), "weir_tail_dropped_total", reason="slow_client") > 0,
               message="the stalled client's drops counted")
    print(f"ingest of {n} events with a stalled subscriber: {took:.2f}s; reader got {got}, dropped {dropped}")
    stalled.sock.close()
    reader.close()


def test_a_thousand_concurrent_subscribers(daemons):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    env = Env(daemons, api="    max_connections: 1100\n    max_connections_per_client: 1100\n    workers: 4\n")
    subs = []
    for i in range(1000):
        subs.append(tail(env, q=f"level:ERROR OR n:{i}"))
    for ws in subs:
        assert recv_json(ws)["type"] == "live"
    wait_until(lambda: metric(env.metrics(), "weir_tail_subscribers") == 1000, message="1000 subscribers")
    env.append(5, level="ERROR")
    env.append(1000, n=lambda s: s - 5)  # one event for each
    for i, ws in enumerate(subs):
        got = collect(ws, lambda m: len(logs(m)) >= 6)
        assert seqs_of(got) == [0, 1, 2, 3, 4, 5 + i]
    for ws in subs:
        ws.sock.close()
    wait_until(lambda: metric(env.metrics(), "weir_tail_subscribers") == 0, message="subscribers forgotten")


def test_tenant_isolation_and_auth(daemons):
    env = Env(daemons, tokens=True)
    # No token, a wrong token, a token without the read scope.
    assert tail(env).status == 401
    assert tail(env, token="wrong").status == 401
    assert tail(env, token="admin-only").status == 403
    acme = tail(env, token="acme-secret")
    ops = tail(env, token="ops-secret")
    # Browsers pass the token as access_token (never logged).
    browser = WebSocket(env.d.port, "/api/v1/tail?access_token=acme-secret&q=" + urllib.parse.quote("tenant:globex OR *"))
    assert browser.status == 101
    sneaky = tail(env, token="acme-secret", q="tenant:globex")
    for ws in (acme, ops, browser, sneaky):
        assert recv_json(ws)["type"] == "live"
    env.append(20, tenant=lambda s: "acme" if s % 4 == 0 else "globex")
    assert seqs_of(collect(ops, lambda m: len(logs(m)) >= 20)) == list(range(20))
    assert seqs_of(collect(acme, lambda m: len(logs(m)) >= 5)) == [0, 4, 8, 12, 16]
    assert seqs_of(collect(browser, lambda m: len(logs(m)) >= 5)) == [0, 4, 8, 12, 16]
    env.append(1, tenant="acme")  # the sneaky one gets nothing, not even this
    assert seqs_of(collect(acme, lambda m: len(logs(m)) >= 1)) == [20]
    sneaky.sock.settimeout(1.0)
    got = []
    try:
        while True:
            m = recv_json(sneaky)
            if m["type"] == "log":
                got.append(m)
    except (socket.timeout, TimeoutError):
        pass
    assert got == []
    # Backfill and replay keep to the tenant too.
    env.wait_stored("*", 21, token="ops-secret")
    bf = tail(env, token="acme-secret", backfill=100)
    msgs = collect(bf, lambda m: any(x["type"] == "live" for x in m))
    assert seqs_of(msgs) == [0, 4, 8, 12, 16, 20]
    assert "acme-secret" not in env.d.stderr()
    # SSE with access_token; a wrong one is refused.
    status, _, _ = request(env.d.port, "/api/v1/tail?access_token=wrong", headers={"Accept": "text/event-stream"})
    assert status == 401
    for ws in (acme, ops, browser, sneaky, bf):
        ws.close()


def read_sse(port, path, headers, want, timeout=30):
    """(id, data) events of a text/event-stream until `want` data lines are read."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}\r\n".encode())
    buf = b""
    events = []
    deadline = time.monotonic() + timeout
    while len([e for e in events if json.loads(e[1])["type"] == "log"]) < want and time.monotonic() < deadline:
        buf += s.recv(65536)
        # chunked framing: strip chunk-size lines loosely by searching for SSE records
        text = buf.decode("utf-8", "replace")
        events = []
        for rec in text.split("\n\n"):
            lines = [l for l in rec.split("\n") if l.startswith("id: ") or l.startswith("data: ")]
            ids = [l[4:] for l in lines if l.startswith("id: ")]
            data = [l[6:] for l in lines if l.startswith("data: ")]
            if ids and data:
                try:
                    json.loads(data[0])
                except ValueError:
                    continue
                events.append((ids[0], data[0]))
    s.close()
    return events


def test_sse_with_last_event_id_and_ndjson(daemons):
    env = Env(daemons)
    env.append(10)
    env.wait_stored("*", 10)
    events = read_sse(env.d.port, "/api/v1/tail?backfill=10", {"Accept": "text/event-stream"}, 10)
    logs_ = [(i, json.loads(d)) for i, d in events if json.loads(d)["type"] == "log"]
    assert [d["data"]["seq"] for _, d in logs_] == list(range(10))
    last_id = logs_[4][0]
    env.append(5)
    env.wait_stored("*", 15)
    again = read_sse(env.d.port, "/api/v1/tail", {"Accept": "text/event-stream", "Last-Event-ID": last_id}, 10)
    assert [json.loads(d)["data"]["seq"] for _, d in again if json.loads(d)["type"] == "log"] == list(range(5, 15))
    # NDJSON: one message per line (once the SSE streams are gone: the
    # server finds a closed stream at its next keep-alive).
    wait_until(lambda: metric(env.metrics(), "weir_tail_subscribers") == 0, message="SSE streams closed")
    c = http.client.HTTPConnection("127.0.0.1", env.d.port, timeout=30)
    c.request("GET", "/api/v1/tail?backfill=3&q=seq>=5")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("application/x-ndjson")
    lines = [json.loads(r.readline()) for _ in range(4)]
    assert [l["data"]["seq"] for l in lines[:3]] == [12, 13, 14] and lines[3]["type"] == "live"
    c.close()
    # A bad query is a 400 before any stream starts.
    status, body, _ = request(env.d.port, "/api/v1/tail?q=" + urllib.parse.quote("level:(ERROR"))
    assert status == 400 and json.loads(body)["param"] == "q"


def test_bad_query_and_limits(daemons):
    env = Env(daemons, tokens=True, api="    tail_max_per_token: 3\n    tail_heartbeat: 200ms\n")
    bad = tail(env, token="ops-secret", q="level:(ERROR")
    m = recv_json(bad)
    assert m["type"] == "error" and "q:" in m["error"]
    mine = [tail(env, token="ops-secret") for _ in range(3)]
    for ws in mine:
        assert recv_json(ws)["type"] == "live"
    extra = tail(env, token="ops-secret")
    m = recv_json(extra)
    assert m["type"] == "error" and "too many" in m["error"]
    other = tail(env, token="acme-secret")  # another token is not affected
    assert recv_json(other)["type"] == "live"
    # Heartbeats come on their own, with a cursor.
    hb = wait_until(lambda: (lambda m: m if m["type"] == "heartbeat" else None)(recv_json(other)), timeout=10,
                    message="a heartbeat")
    assert "cursor" in hb and hb["paused"] is False
    assert metric(env.metrics("ops-secret"), "weir_tail_refused_total") >= 1
    for ws in mine + [other]:
        ws.close()
