"""The `websocket` output: a pipeline that does not store pushes its events
to live viewers on the API server (/api/v1/live/<channel>) and on a listener
of its own, with the tail's filters, buffers, drop notices, tenants and
tokens; viewers stay connected across a reload."""
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.parse

from weirtest import WEIR_BIN, metric, parse_metrics, wait_until
from wsclient import WebSocket

TOKENS = {"ops-secret": (["read"], None), "acme-secret": (["read"], "acme"), "admin-only": (["admin"], None)}


def write_tokens(path):
    with open(path, "w") as f:
        f.write("keys:\n")
        for token, (scopes, tenant) in TOKENS.items():
            f.write(f"  - sha256: {hashlib.sha256(token.encode()).hexdigest()}\n    scopes: [{', '.join(scopes)}]\n")
            if tenant:
                f.write(f"    tenant: {tenant}\n")


def pipeline(log, output):
    return f"""
inputs:
  - type: file
    name: app
    paths: ["{log}"]
    read_from_head: true
    poll_interval: 10ms
parser:
  type: json
outputs:
{output}"""


class Env:
    """A daemon without a store whose one pipeline reads a JSON file into a
    websocket output."""

    def __init__(self, daemons, output="  - type: websocket\n    name: edge\n", tokens=False, start=True):
        service = "store:\n  enabled: false\n"
        if tokens:
            service = "  api:\n    tokens_file: tokens.yaml\n" + service
        self.d = daemons({}, extra_service=service)
        if tokens:
            write_tokens(os.path.join(self.d.dir, "tokens.yaml"))
        self.log = os.path.join(self.d.dir, "app.log")
        open(self.log, "w").close()
        self.d.write_pipeline("p.yaml", pipeline(self.log, output))
        self.seq = 0
        if start:
            self.d.start()

    def append(self, count, **fields):
        lines = []
        for _ in range(count):
            ev = {"seq": self.seq, "message": f"event {self.seq}", "level": "INFO"}
            ev.update({k: (v(self.seq) if callable(v) else v) for k, v in fields.items()})
            lines.append(json.dumps(ev) + "\n")
            self.seq += 1
        with open(self.log, "a") as f:
            f.write("".join(lines))

    def metrics(self, token=None):
        c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=30)
        c.request("GET", "/metrics", headers={"Authorization": "Bearer " + token} if token else {})
        body = c.getresponse().read().decode()
        c.close()
        return parse_metrics(body)


def live(port, channel="edge", token=None, ssl_context=None, path=None, **params):
    path = (path or f"/api/v1/live/{channel}") + ("?" + urllib.parse.urlencode(params) if params else "")
    return WebSocket(port, path, headers={"Authorization": "Bearer " + token} if token else None, timeout=30,
                     ssl_context=ssl_context)


def recv_json(ws):
    return ws.recv_json()


def collect(ws, until, timeout=30):
    msgs = []
    deadline = time.monotonic() + timeout
    while not until(msgs):
        assert time.monotonic() < deadline, f"timed out; got {len(msgs)} messages, last {msgs[-3:]}"
        m = recv_json(ws)
        if m["type"] != "heartbeat":
            msgs.append(m)
    return msgs


def seqs(msgs):
    return [m["data"]["seq"] for m in msgs if m["type"] == "log"]


def nlogs(n):
    return lambda msgs: len(seqs(msgs)) >= n


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def test_viewers_get_the_pipeline_events_with_their_filters(daemons):
    env = Env(daemons)
    everything = live(env.d.port)
    errors = live(env.d.port, q="level:ERROR")
    for ws in (everything, errors):
        assert ws.status == 101
        assert recv_json(ws)["type"] == "live"
    env.append(300, level=lambda s: "ERROR" if s % 7 == 0 else "INFO")
    assert seqs(collect(everything, nlogs(300))) == list(range(300))
    got = collect(errors, nlogs(43))
    assert seqs(got) == [s for s in range(300) if s % 7 == 0]
    m = next(m for m in got if m["type"] == "log")
    assert m["data"]["message"] == "event 0" and m["cursor"]
    # NDJSON on a plain GET of the same path.
    c = http.client.HTTPConnection("127.0.0.1", env.d.port, timeout=30)
    c.request("GET", "/api/v1/live/edge?q=seq>=300")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("application/x-ndjson")
    assert json.loads(r.readline())["type"] == "live"
    env.append(3)
    assert [json.loads(r.readline())["data"]["seq"] for _ in range(3)] == [300, 301, 302]
    c.close()
    # No history to backfill or replay; unknown channels are 404.
    status, body = get(env.d.port, "/api/v1/live/edge?backfill=5")
    assert status == 400 and json.loads(body)["param"] == "backfill"
    status, body = get(env.d.port, "/api/v1/live/edge?cursor=1-0-1-0")
    assert status == 400 and json.loads(body)["param"] == "cursor"
    status, body = get(env.d.port, "/api/v1/live/nope")
    assert status == 404 and "no live channel 'nope'" in body
    # The output acknowledged everything (it never waits for viewers).
    m = env.metrics()
    assert metric(m, "weir_tail_events_sent_total", channel="edge") >= 300 + 43 + 3
    assert metric(m, "weir_tail_subscribers", channel="edge") >= 2
    for ws in (everything, errors):
        ws.sock.close()


def test_a_paused_viewer_gets_a_drop_notice_and_others_everything(daemons):
    env = Env(daemons, output="  - type: websocket\n    name: edge\n    buffer_events: 100\n")
    slow = live(env.d.port)
    fast = live(env.d.port)
    stalled = live(env.d.port)  # never reads at all
    for ws in (slow, fast, stalled):
        assert recv_json(ws)["type"] == "live"
    slow.send(json.dumps({"type": "pause"}))
    # The pause reaches the server before the events: wait until a message
    # sent after it is answered (an unknown message gets an error back).
    slow.send(json.dumps({"type": "ping?"}))
    assert recv_json(slow)["type"] == "error"
    # In steps the reader keeps up with (a burst larger than the buffer
    # would drop for any viewer).
    got_fast = []
    for _ in range(40):
        env.append(50)
        got_fast += seqs(collect(fast, nlogs(50)))
    assert got_fast == list(range(2000))
    slow.send(json.dumps({"type": "resume"}))
    got = collect(slow, nlogs(100))
    dropped = [m for m in got if m["type"] == "dropped"]
    assert dropped and sum(m["count"] for m in dropped) == 1900
    assert seqs(got) == list(range(1900, 2000))
    m = env.metrics()
    assert metric(m, "weir_tail_dropped_total", reason="paused", channel="edge") == 1900
    # The stalled viewer held up neither the pipeline nor the others.
    assert metric(m, "weir_events_out_total", pipeline="p", plugin="websocket") >= 2000
    for ws in (slow, fast, stalled):
        ws.sock.close()


def test_own_tls_listener_tokens_and_tenants(daemons):
    env = Env(daemons, tokens=True, start=False,
              output="  - type: websocket\n    name: edge\n    listen: 127.0.0.1:0\n"
                     "    tls_cert_file: live.crt\n    tls_key_file: live.key\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", os.path.join(env.d.dir, "live.key"), "-out", os.path.join(env.d.dir, "live.crt")],
                   check=True, capture_output=True)
    env.d.start()
    port = int(wait_until(lambda: (lambda m: m and m.group(1))(re.search(
        r"live channel 'edge' listening on wss://127\.0\.0\.1:(\d+)", env.d.stderr())), message="the listener"))
    ctx = ssl.create_default_context(cafile=os.path.join(env.d.dir, "live.crt"))
    ctx.check_hostname = False
    # Tokens on both places: none, wrong, without the read scope.
    assert live(port, path="/", ssl_context=ctx).status == 401
    assert live(port, path="/", ssl_context=ctx, token="wrong").status == 401
    assert live(port, path="/", ssl_context=ctx, token="admin-only").status == 403
    assert live(env.d.port).status == 401
    ops = live(port, path="/", ssl_context=ctx, token="ops-secret")
    acme = live(port, ssl_context=ctx, token="acme-secret")  # /api/v1/live/edge on the same listener
    api = live(env.d.port, token="ops-secret")
    browser = live(port, path="/", ssl_context=ctx, access_token="acme-secret", q="tenant:globex OR *")
    for ws in (ops, acme, api, browser):
        assert ws.status == 101
        assert recv_json(ws)["type"] == "live"
    env.append(20, tenant=lambda s: "acme" if s % 4 == 0 else "globex")
    assert seqs(collect(ops, nlogs(20))) == list(range(20))
    assert seqs(collect(api, nlogs(20))) == list(range(20))
    assert seqs(collect(acme, nlogs(5))) == [0, 4, 8, 12, 16]
    assert seqs(collect(browser, nlogs(5))) == [0, 4, 8, 12, 16]
    # Plain WebSocket on the TLS port gets nowhere.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert b"101" not in data
    err = env.d.stderr()
    assert "acme-secret" not in err and "ops-secret" not in err
    for ws in (ops, acme, api, browser):
        ws.sock.close()


def test_viewers_stay_connected_across_a_reload(daemons):
    env = Env(daemons, output="  - type: websocket\n    name: edge\n    listen: 127.0.0.1:0\n")
    port = int(wait_until(lambda: (lambda m: m and m.group(1))(re.search(
        r"live channel 'edge' listening on ws://127\.0\.0\.1:(\d+)", env.d.stderr())), message="the listener"))
    on_api = live(env.d.port)
    on_own = live(port, path="/")
    for ws in (on_api, on_own):
        assert recv_json(ws)["type"] == "live"
    env.append(5)
    for ws in (on_api, on_own):
        assert seqs(collect(ws, nlogs(5))) == list(range(5))
    # A changed pipeline: the new copy joins the channel (and its listener)
    # before the old one leaves.
    env.d.write_pipeline("p.yaml", pipeline(env.log, "  - type: websocket\n    name: edge\n    listen: 127.0.0.1:0\n"
                                                     "    buffer_events: 50\n"))
    assert "p" in env.d.reload_signal()["started"]
    env.append(5)
    for ws in (on_api, on_own):
        assert seqs(collect(ws, nlogs(5))) == list(range(5, 10))
    # The pipeline removed: the channel is still known, but fed by no one.
    env.d.remove_pipeline("p.yaml")
    assert "p" in env.d.reload_signal()["stopped"]
    status, body = get(env.d.port, "/api/v1/live/edge")
    assert status == 404 and "no websocket output feeds" in body
    wait_until(lambda: _refused(port), message="the own listener closed")
    for ws in (on_api, on_own):
        ws.sock.close()


def _refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def test_bad_settings_are_refused_clearly(daemons, tmp_path):
    for output, want in [
        ("  - type: websocket\n    channel: a/b\n", "channel 'a/b' must be 1 to 128 letters"),
        ("  - type: websocket\n    tls_cert_file: x.crt\n    tls_key_file: x.key\n", "tls_cert_file needs listen"),
        ("  - type: websocket\n    listen: 127.0.0.1:0\n    tls_cert_file: x.crt\n", "go together"),
        ("  - type: websocket\n    buffer_events: 0\n", "buffer_events"),
    ]:
        env = Env(daemons, output=output, start=False)
        r = subprocess.run([WEIR_BIN, "validate", "--config", env.d.config], capture_output=True, text=True)
        assert r.returncode != 0 and want in r.stdout + r.stderr, (output, r.stdout, r.stderr)
    # A listener that cannot bind stops the start, naming the address.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    env = Env(daemons, output=f"  - type: websocket\n    listen: 127.0.0.1:{busy.getsockname()[1]}\n", start=False)
    env.d.start(wait=False)
    assert env.d.proc.wait(timeout=60) != 0
    assert f"127.0.0.1:{busy.getsockname()[1]}" in env.d.stderr()
    busy.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_reload_moves_a_fixed_listener_to_tls_and_refuses_a_second_channel_on_it(daemons):
    port = free_port()
    plain = f"  - type: websocket\n    name: edge\n    listen: 127.0.0.1:{port}\n"
    env = Env(daemons, output=plain)
    wait_until(lambda: f"live channel 'edge' listening on ws://127.0.0.1:{port}" in env.d.stderr(),
               message="the plain listener")
    ws = live(port, path="/")
    assert recv_json(ws)["type"] == "live"
    ws.sock.close()
    # New TLS files on the same address: the new listener binds beside the
    # old one (SO_REUSEPORT) before the old pipeline stops.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", os.path.join(env.d.dir, "live.key"), "-out", os.path.join(env.d.dir, "live.crt")],
                   check=True, capture_output=True)
    env.d.write_pipeline("p.yaml", pipeline(env.log, plain + "    tls_cert_file: live.crt\n    tls_key_file: live.key\n"))
    result = env.d.reload_signal()
    assert result["result"] == "success", result
    ctx = ssl.create_default_context(cafile=os.path.join(env.d.dir, "live.crt"))
    ctx.check_hostname = False
    wss = wait_until(lambda: _try_tls(port, ctx), message="TLS on the same port")
    assert recv_json(wss)["type"] == "live"
    env.append(3)
    assert seqs(collect(wss, nlogs(3))) == [0, 1, 2]
    wss.sock.close()
    # A second channel on that address is refused (connections would be
    # shared between the two at random); the running set stays.
    env.d.write_pipeline("q.yaml", pipeline(env.log + ".2", f"  - type: websocket\n    name: other\n"
                                                           f"    listen: 127.0.0.1:{port}\n"))
    result = env.d.reload_signal()
    assert result["result"] == "failure"
    assert any(f"listen 127.0.0.1:{port} already serves live channel 'edge'" in e for e in result["errors"]), result


def _try_tls(port, ctx):
    try:
        w = live(port, path="/", ssl_context=ctx)
        return w if w.status == 101 else None
    except (OSError, ssl.SSLError):
        return None


def test_the_output_limits_reach_its_viewers(daemons):
    env = Env(daemons, tokens=True,
              output="  - type: websocket\n    name: edge\n    max_subscribers: 3\n    max_per_token: 1\n"
                     "    max_events_per_second: 5\n    buffer_events: 10\n")
    first = live(env.d.port, token="ops-secret")
    assert recv_json(first)["type"] == "live"
    again = live(env.d.port, token="ops-secret")  # max_per_token: 1
    m = recv_json(again)
    assert m["type"] == "error" and "too many tail subscribers for this token (1)" in m["error"]
    second = live(env.d.port, token="acme-secret")
    assert recv_json(second)["type"] == "live"
    third = live(env.d.port, access_token="ops-secret")  # the same token by another way: still one
    assert recv_json(third)["type"] == "error"
    # 100 events at once to a viewer allowed 5 a second with room for 10:
    # the rest are dropped for the rate, and it is told.
    env.append(100)
    got = collect(first, lambda msgs: any(x["type"] == "dropped" for x in msgs) and len(seqs(msgs)) >= 5)
    assert seqs(got) == sorted(seqs(got)) and len(seqs(got)) <= 20
    m = env.metrics("ops-secret")
    assert metric(m, "weir_tail_dropped_total", reason="rate_limit", channel="edge") > 0
    assert metric(m, "weir_tail_refused_total", channel="edge") == 2
    for ws in (first, again, second, third):
        ws.sock.close()
