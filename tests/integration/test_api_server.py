"""The API server as a client sees it: routes, tokens, the loopback rules,
connection limits, a reload that drains while /health answers, streaming,
gzip, WebSocket (and closing a client that does not read), static files and
TLS with required client certificates."""
import gzip
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

from weirtest import metric, parse_metrics, wait_until
from wsclient import PING, PONG, WebSocket

NULL_PIPELINE = "inputs:\n  - type: stdin\noutputs:\n  - type: null\n"


def request(port, method, path, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def write_tokens(path, entries):
    with open(path + ".tmp", "w") as f:
        f.write("keys:\n")
        for token, scopes, tenant in entries:
            f.write(f"  - sha256: {sha(token)}\n    scopes: [{', '.join(scopes)}]\n")
            if tenant:
                f.write(f"    tenant: {tenant}\n")
    os.rename(path + ".tmp", path)


def test_routes_listing_404_and_405(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}).start()
    status, _, body = request(d.port, "GET", "/api/v1")
    assert status == 200
    routes = {(r["method"], r["path"]): r for r in json.loads(body)["routes"]}
    assert routes[("GET", "/health")]["scope"] == "none"
    assert routes[("POST", "/api/v1/reload")]["scope"] == "admin"
    assert routes[("GET", "/api/v1/status")]["scope"] == "read"
    assert routes[("GET", "/api/v1/status/stream")]["websocket"] is True
    assert all(r["help"] for r in routes.values())
    status, headers, body = request(d.port, "GET", "/api/v1/nope")
    assert status == 404 and headers["content-type"] == "application/json" and json.loads(body)["error"]
    status, headers, body = request(d.port, "DELETE", "/api/v1/reload")
    assert status == 405 and headers["allow"] == "POST"
    # A body over the limit is refused as soon as its length is known.
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(b"POST /api/v1/reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % (2 << 20))
        assert s.recv(4096).startswith(b"HTTP/1.1 413")
    # One counter per route pattern and status class, and a latency histogram.
    m = d.metrics()
    assert metric(m, "weir_api_requests_total", route="/api/v1", method="GET", code="2xx") == 1
    assert metric(m, "weir_api_requests_total", route="unmatched", code="4xx") >= 2
    assert metric(m, "weir_api_request_duration_seconds_count", route="/api/v1") == 1
    assert 'component=api msg="GET /api/v1 200 route=/api/v1' in d.stderr()
    assert d.terminate() == 0


def test_tokens_scopes_and_sighup(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    tokens_file: tokens.yaml\n")
    tokens = os.path.join(d.dir, "tokens.yaml")
    write_tokens(tokens, [("reader-secret", ["read"], "team-a"), ("admin-secret", ["read", "admin"], None)])
    d.start()
    p = d.port
    assert request(p, "GET", "/health")[0] == 200  # open to probes
    status, headers, body = request(p, "GET", "/api/v1/status")
    assert status == 401 and headers["www-authenticate"] == "Bearer" and "token" in json.loads(body)["error"]
    assert request(p, "GET", "/metrics")[0] == 401
    assert request(p, "GET", "/api/v1/status", headers={"Authorization": "Bearer wrong"})[0] == 401
    read = {"Authorization": "Bearer reader-secret"}
    admin = {"Authorization": "Bearer admin-secret"}
    assert request(p, "GET", "/api/v1/status", headers=read)[0] == 200
    status, _, body = request(p, "POST", "/api/v1/reload", headers=read)
    assert status == 403 and "admin" in json.loads(body)["error"]
    assert request(p, "POST", "/api/v1/reload", headers=admin)[0] == 200

    # SIGHUP re-reads the file: a broken one keeps the old tokens and says so.
    with open(tokens, "w") as f:
        f.write("keys: [ {sha256: nothex, scopes: [read]} ]\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "the previous tokens stay in use" in d.stderr(), message="bad tokens file reported")
    assert request(p, "GET", "/api/v1/status", headers=read)[0] == 200
    m = parse_metrics(request(p, "GET", "/metrics", headers=read)[2].decode())
    assert metric(m, "weir_api_tokens_reload_failures_total") == 1
    write_tokens(tokens, [("new-secret", ["read"], None)])
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: request(p, "GET", "/api/v1/status", headers={"Authorization": "Bearer new-secret"})[0] == 200,
               message="new token accepted")
    assert request(p, "GET", "/api/v1/status", headers=read)[0] == 401
    assert d.terminate() == 0


def test_non_loopback_listener_without_tokens_refuses_to_start(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE})
    with open(d.config) as f:
        text = f.read()
    with open(d.config, "w") as f:
        f.write(text.replace("admin_listen: 127.0.0.1:0", "admin_listen: 0.0.0.0:0"))
    d.start(wait=False)
    assert d.proc.wait(timeout=60) == 1
    err = d.stderr()
    assert "is not a loopback address and service.api has no tokens_file" in err
    assert "allow_unauthenticated: true" in err
    assert "listening on" not in err


def test_bad_api_section_is_positioned(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    tokens_fil: x\n    max_body: lots\n")
    d.start(wait=False)
    assert d.proc.wait(timeout=60) == 1
    err = d.stderr()
    assert "weir.yaml:7:5: unknown option 'tokens_fil' in 'service.api'; did you mean 'tokens_file'?" in err, err
    assert "weir.yaml:8:15: invalid size 'lots' for option 'max_body' of 'service.api'" in err, err


def test_foreign_origins_form_types_and_rebound_hosts_are_refused(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}).start()
    p = d.port
    before = d.reload_count()
    status, _, body = request(p, "POST", "/api/v1/reload", body="x",
                              headers={"Origin": "http://evil.example", "Content-Type": "text/plain"})
    assert status == 403, body
    assert request(p, "POST", "/api/v1/reload", body="x", headers={"Content-Type": "text/plain"})[0] == 415
    assert request(p, "POST", "/api/v1/reload", body="a=b",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 415
    assert d.reload_count() == before
    status, _, body = request(p, "GET", "/api/v1/status", headers={"Host": f"evil.example:{p}"})
    assert status == 403 and b"pipelines" not in body
    for host in (f"localhost:{p}", f"127.0.0.1:{p}", f"[::1]:{p}"):
        assert request(p, "GET", "/api/v1/status", headers={"Host": host})[0] == 200, host
    # A browser page served by the daemon itself (same origin) may reload.
    assert request(p, "POST", "/api/v1/reload", headers={"Origin": f"http://127.0.0.1:{p}"})[0] == 200
    assert d.terminate() == 0


def test_cors_is_off_by_default_and_follows_the_allowed_origins(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE},
                extra_service="  api:\n    cors_origins: [\"https://dash.example\"]\n").start()
    p = d.port
    _, headers, _ = request(p, "GET", "/api/v1/status", headers={"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in headers
    _, headers, _ = request(p, "GET", "/api/v1/status", headers={"Origin": "https://dash.example"})
    assert headers["access-control-allow-origin"] == "https://dash.example"
    status, headers, _ = request(p, "OPTIONS", "/api/v1/reload", headers={
        "Origin": "https://dash.example", "Access-Control-Request-Method": "POST"})
    assert status == 204 and "POST" in headers["access-control-allow-methods"]
    assert request(p, "POST", "/api/v1/reload", headers={"Origin": "https://dash.example"})[0] == 200
    assert d.terminate() == 0


def test_idle_connections_do_not_lock_out_health(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    max_connections_per_client: 16\n").start()
    idle = []
    try:
        for _ in range(64):
            idle.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
        for _ in range(10):
            t0 = time.monotonic()
            status, _, body = request(d.port, "GET", "/health", timeout=5)
            assert status == 200 and json.loads(body) == {"status": "ok"}
            assert time.monotonic() - t0 < 2
        m = d.metrics()
        assert metric(m, "weir_api_connections_cut_total", reason="client_limit") >= 48
        assert metric(m, "weir_api_connections") <= 17
        assert "connections: its longest-idle one was closed" in d.stderr()
    finally:
        for s in idle:
            s.close()
    assert d.terminate() == 0


def test_health_and_metrics_answer_while_a_reload_drains(daemons):
    # stdout is a pipe nobody reads: the output blocks, so the reload that
    # replaces the pipeline waits its whole 10 s drain deadline.
    d = daemons({}, stdout=subprocess.PIPE)
    log = os.path.join(d.dir, "app.log")
    with open(log, "w") as f:
        for i in range(100_000):
            f.write('{"seq":%d,"message":"line %d"}\n' % (i, i))
    pipeline = 'inputs:\n  - type: file\n    paths: ["%s"]\n    read_from_head: true\noutputs:\n  - type: stdout\n' % log
    d.write_pipeline("app.yaml", pipeline)
    d.start()
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="input", pipeline="app") >= 20_000,
               message="input far ahead of the blocked output")
    d.write_pipeline("app.yaml", pipeline + "workers: 2\n")
    result = {}

    def reload():
        t0 = time.monotonic()
        result["status"] = request(d.port, "POST", "/api/v1/reload", timeout=60)[0]
        result["took"] = time.monotonic() - t0

    t = threading.Thread(target=reload)
    t.start()
    wait_until(lambda: "reload requested" in d.stderr(), message="reload started")
    health, metrics = [], []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and t.is_alive():
        t0 = time.monotonic()
        assert request(d.port, "GET", "/health", timeout=5)[0] == 200
        health.append(time.monotonic() - t0)
        t0 = time.monotonic()
        assert request(d.port, "GET", "/metrics", timeout=5)[0] == 200
        metrics.append(time.monotonic() - t0)
    assert t.is_alive(), "the reload did not wait for the drain"
    t.join(timeout=60)
    assert result["status"] == 200 and result["took"] >= 8, result
    health.sort()
    metrics.sort()
    assert len(health) >= 10
    p99 = health[min(len(health) - 1, int(len(health) * 0.99))]
    print(f"/health during the drain: n={len(health)} p50={health[len(health)//2]*1000:.1f} ms "
          f"p99={p99*1000:.1f} ms; /metrics p50={metrics[len(metrics)//2]*1000:.1f} ms")
    assert health[len(health) // 2] < 0.1 and metrics[len(metrics) // 2] < 0.1
    assert p99 < 0.5
    d.cleanup()


def test_streaming_and_gzip(daemons):
    d = daemons({f"p{i}.yaml": f'inputs:\n  - type: file\n    paths: ["/nonexistent/{i}.log"]\n'
                                f'outputs:\n  - type: null\n    name: sink{i}\n' for i in range(3)}).start()
    status, headers, body = request(d.port, "GET", "/api/v1/metrics/instances")
    assert status == 200 and headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(l) for l in body.decode().splitlines()]
    assert sorted(l["instance"] for l in lines if l["kind"] == "output") == ["sink0", "sink1", "sink2"]
    status, headers, zbody = request(d.port, "GET", "/api/v1/metrics/instances?pipeline=p1",
                                     headers={"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and headers["transfer-encoding"] == "chunked"
    assert {json.loads(l)["pipeline"] for l in gzip.decompress(zbody).decode().splitlines()} == {"p1"}
    status, headers, zbody = request(d.port, "GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"weir_events_in_total" in gzip.decompress(zbody)
    assert len(zbody) < int(headers["content-length"]) * 10
    _, headers, _ = request(d.port, "GET", "/metrics")
    assert "content-encoding" not in headers
    assert d.terminate() == 0


def test_websocket_status_stream(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}).start()
    ws = WebSocket(d.port, "/api/v1/status/stream")
    assert ws.status == 101
    first = json.loads(ws.recv_text())
    assert first["pipelines"][0]["name"] == "p"
    ws.send("status")
    assert "pipelines" in json.loads(ws.recv_text())
    ws.send(b"are you there", PING)
    while True:
        op, payload = ws.recv_frame()
        if op == PONG:
            assert payload == b"are you there"
            break
    t0 = time.monotonic()
    json.loads(ws.recv_text())  # the next tick, within about a second
    assert time.monotonic() - t0 < 3
    assert ws.close() == 1000
    # A plain GET of a WebSocket route is told to upgrade.
    assert request(d.port, "GET", "/api/v1/status/stream")[0] == 426
    # The foreign-host rule applies to the upgrade as well.
    bad = WebSocket(d.port, "/api/v1/status/stream", headers={"Host": "evil.example"})
    assert bad.status == 403
    assert d.terminate() == 0


def test_static_files_etag_and_app_fallback(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    static_dir: web\n")
    web = os.path.join(d.dir, "web")
    os.makedirs(os.path.join(web, "assets"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>weir</title>")
    with open(os.path.join(web, "assets", "app.js"), "w") as f:
        f.write("console.log('weir');\n")
    with open(os.path.join(d.dir, "secret.txt"), "w") as f:
        f.write("not for the web")
    d.start()
    p = d.port
    status, headers, body = request(p, "GET", "/assets/app.js")
    assert status == 200 and body == b"console.log('weir');\n"
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    etag = headers["etag"]
    assert headers["cache-control"]
    status, headers, body = request(p, "GET", "/assets/app.js", headers={"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["etag"] == etag
    status, headers, body = request(p, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"<title>weir" in body
    status, headers, body = request(p, "GET", "/pipelines/p/stages")  # an app route
    assert status == 200 and b"<title>weir" in body and headers["cache-control"] == "no-cache"
    assert request(p, "GET", "/assets/missing.js")[0] == 404
    assert request(p, "GET", "/api/v1/unknown")[0] == 404  # the API never falls back to the app
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/%2E%2E/%2E%2E/secret.txt"):
        status, _, body = request(p, "GET", path)
        assert status == 404 and b"not for the web" not in body, path
    assert request(p, "GET", "/health")[0] == 200  # built-in routes come first
    assert d.terminate() == 0


def test_tls_listener(daemons):
    import re
    import ssl
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    tls_cert_file: api.crt\n    tls_key_file: api.key\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", os.path.join(d.dir, "api.key"), "-out", os.path.join(d.dir, "api.crt")],
                   check=True, capture_output=True)
    d.start(wait=False)

    def port():
        assert d.proc.poll() is None, d.stderr()
        m = re.search(r'component=admin msg="listening on https://127\.0\.0\.1:(\d+)', d.stderr())
        return m and int(m.group(1))
    p = wait_until(port, message="the TLS listener")
    ctx = ssl.create_default_context(cafile=os.path.join(d.dir, "api.crt"))
    ctx.check_hostname = False
    conn = http.client.HTTPSConnection("127.0.0.1", p, context=ctx, timeout=10)
    conn.request("GET", "/api/v1/status", headers={"Host": f"localhost:{p}"})
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["pipelines"]
    conn.close()
    # Plain HTTP on the TLS port gets no answer.
    with socket.create_connection(("127.0.0.1", p), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert b"ok" not in data
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=60) == 0


def test_bad_tls_files_refuse_to_start(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}, extra_service="  api:\n    tls_cert_file: missing.crt\n    tls_key_file: missing.key\n")
    d.start(wait=False)
    assert d.proc.wait(timeout=60) == 1
    assert "cannot load the API's TLS certificate" in d.stderr()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def test_tls_client_certificates_are_required_with_a_client_ca(daemons):
    import re
    import ssl
    d = daemons({"p.yaml": NULL_PIPELINE},
                extra_service="  api:\n    tls_cert_file: api.crt\n    tls_key_file: api.key\n"
                              "    tls_ca_file: clients.crt\n")
    f = lambda name: os.path.join(d.dir, name)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
            "-keyout", f("api.key"), "-out", f("api.crt"))
    # The clients' CA, a client it signed, and a client signed by nobody it knows.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=clients", "-days", "1",
            "-keyout", f("clients.key"), "-out", f("clients.crt"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=agent", "-keyout", f("agent.key"),
            "-out", f("agent.csr"))
    openssl("x509", "-req", "-in", f("agent.csr"), "-CA", f("clients.crt"), "-CAkey", f("clients.key"),
            "-CAcreateserial", "-days", "1", "-out", f("agent.crt"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=stranger", "-days", "1",
            "-keyout", f("stranger.key"), "-out", f("stranger.crt"))
    d.start(wait=False)

    def port():
        assert d.proc.poll() is None, d.stderr()
        m = re.search(r'component=admin msg="listening on https://127\.0\.0\.1:(\d+)', d.stderr())
        return m and int(m.group(1))
    p = wait_until(port, message="the TLS listener")

    def status(cert=None, key=None):
        ctx = ssl.create_default_context(cafile=f("api.crt"))
        ctx.check_hostname = False
        if cert:
            ctx.load_cert_chain(cert, key)
        conn = http.client.HTTPSConnection("127.0.0.1", p, context=ctx, timeout=10)
        try:
            conn.request("GET", "/api/v1/status", headers={"Host": f"localhost:{p}"})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    code, body = status(f("agent.crt"), f("agent.key"))
    assert code == 200 and json.loads(body)["pipelines"]
    for cert, key in ((None, None), (f("stranger.crt"), f("stranger.key"))):
        try:
            code, _ = status(cert, key)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            code = None
        assert code is None, f"a client without a certificate the CA signed got {code}"
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=60) == 0


def scrape_metrics(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return parse_metrics(text)


def test_a_websocket_client_that_does_not_read_is_closed_with_1013(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE}).start()
    ws = WebSocket(d.port, "/api/v1/status/stream")
    assert ws.status == 101
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # Ask for the status over and over without reading an answer: the
    # answers pile up in the server's bounded send queue until it closes the
    # connection (1013, try again later) and counts it.
    slow = lambda: metric(scrape_metrics(d.port), "weir_api_websocket_slow_closed_total") or 0
    deadline = time.monotonic() + 60
    sent = 0
    while slow() < 1:
        assert sent < 200_000 and time.monotonic() < deadline, f"still open after {sent} requests"
        for _ in range(500):
            try:
                ws.send("status")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
    ws.sock.close()
    # The server stays healthy for everyone else.
    ok = WebSocket(d.port, "/api/v1/status/stream")
    assert ok.status == 101 and "pipelines" in ok.recv_text()
    assert ok.close() == 1000
    assert d.terminate() == 0


def test_health_gets_through_when_every_slot_is_busy(daemons):
    d = daemons({"p.yaml": NULL_PIPELINE},
                extra_service="  api:\n    max_connections_per_client: 4\n").start()
    streams = [WebSocket(d.port, "/api/v1/status/stream") for _ in range(4)]
    try:
        assert all(ws.status == 101 and "pipelines" in ws.recv_text() for ws in streams)
        for _ in range(5):
            status, body = request(d.port, "GET", "/health")[::2]
            assert status == 200 and json.loads(body) == {"status": "ok"}
        status = request(d.port, "GET", "/api/v1/status")[0]
    finally:
        for ws in streams:
            try:
                ws.close()
            except OSError:
                pass  # a stream the server cut
    # Anything but /health is refused (503) while every slot is busy, unless
    # a stream counted as idle between two messages and was cut to make room.
    cut = metric(d.metrics(), "weir_api_connections_cut_total", reason="client_limit")
    assert status == 503 or (status == 200 and cut >= 1), (status, cut)
    if status == 503:
        assert "is served priority routes only" in d.stderr()
    assert d.terminate() == 0
