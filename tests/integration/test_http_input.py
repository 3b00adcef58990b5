"""The http input (ingestion gateway) in the real daemon: every status code it
answers, gzip and the decompression-bomb guard, API keys and their reload,
rate limits, validation, 1,000 concurrent connections and a slow client."""
import gzip
import hashlib
import http.client
import json
import os
import resource
import socket
import subprocess
import threading
import time
import zlib

import pytest

from weirtest import Daemon, metric, wait_until

KEYS = {"good-key-1": "shop", "revoked-key": "old", "expired-key": "gone", "limited-key": "tiny"}


def sha(key):
    return hashlib.sha256(key.encode()).hexdigest()


def keys_yaml(extra=""):
    return f"""keys:
  - {{tenant: shop, sha256: {sha("good-key-1")}}}
  - {{tenant: old, sha256: {sha("revoked-key")}, revoked: true}}
  - {{tenant: gone, sha256: {sha("expired-key")}, expires: 2020-01-01T00:00:00Z}}
  - {{tenant: tiny, sha256: {sha("limited-key")}, rate: 100, burst: 200}}
{extra}"""


def pipeline(keys_path, name="gateway", extra=""):
    return f"""
name: {name}
inputs:
  - type: http
    name: api
    listen: "127.0.0.1:0"
    api_keys_file: {json.dumps(keys_path)}
    max_body_size: 2MiB
    max_decompressed_size: 4MiB
    max_message_size: 1KiB
    read_timeout: 1s
{extra}
outputs:
  - type: stdout
"""


class Client:
    def __init__(self, port):
        self.port = port

    def post(self, body, key="good-key-1", content_type="application/x-ndjson", encoding=None, path="/v1/logs",
             headers=None):
        h = {"Content-Type": content_type} if content_type else {}
        if key:
            h["Authorization"] = f"Bearer {key}"
        if encoding:
            h["Content-Encoding"] = encoding
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=h)
            r = conn.getresponse()
            text = r.read().decode()
            return r.status, (json.loads(text) if text else {}), r
        finally:
            conn.close()


def ndjson(events):
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def ev(msg, **kw):
    return {"message": msg, **kw}


@pytest.fixture
def gateway(tmp_path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(keys_yaml())
    d = Daemon({"gateway.yaml": pipeline(str(keys))})
    d.start()
    yield d, Client(d.listen_port("api", scheme="http")), keys
    d.cleanup()


def out_events(d):
    return d.stdout_json()


def test_accepts_json_object_array_ndjson_and_text(gateway):
    d, c, _ = gateway
    assert c.post(json.dumps(ev("object")).encode(), content_type="application/json")[:2] == \
        (202, {"accepted": 1, "rejected": 0})
    assert c.post(json.dumps([ev("array 1"), ev("array 2", level="warn")]).encode(),
                  content_type="application/json")[:2] == (202, {"accepted": 2, "rejected": 0})
    assert c.post(ndjson([ev("nd 1"), ev("nd 2", timestamp="2026-11-29T10:00:00Z")]))[:2] == \
        (202, {"accepted": 2, "rejected": 0})
    assert c.post(b"text line 1\ntext line 2\n", content_type="text/plain")[:2] == \
        (202, {"accepted": 2, "rejected": 0})
    # No Content-Type: detected from the body.
    assert c.post(ndjson([ev("guessed")]), content_type=None)[0] == 202
    # With acknowledgements (the default) a 202 means stdout already has them.
    out = out_events(d)
    assert sorted(e["message"] for e in out) == sorted(
        ["object", "array 1", "array 2", "nd 1", "nd 2", "text line 1", "text line 2", "guessed"])
    for e in out:
        assert e["tenant"] == "shop", e
        assert e["source_address"] == "127.0.0.1", e
    timed = [e for e in out if e["message"] == "nd 2"][0]
    assert timed["@timestamp"].startswith("2026-11-29T10:00:00")


def test_gzip_body_and_corrupt_gzip(gateway):
    d, c, _ = gateway
    body = gzip.compress(ndjson([ev(f"zipped {i}") for i in range(100)]))
    assert c.post(body, encoding="gzip")[:2] == (202, {"accepted": 100, "rejected": 0})
    status, reply, _ = c.post(b"\x1f\x8b\x08\x00garbage-not-deflate", encoding="gzip")
    assert status == 400 and "corrupt gzip" in reply["error"], reply
    status, reply, _ = c.post(gzip.compress(b'{"message":"cut"}\n')[:-8], encoding="gzip")
    assert status == 400, reply
    assert c.post(b"x", encoding="br")[0] == 415


def test_gzip_bomb_is_refused_without_memory_growth(gateway):
    d, c, _ = gateway
    # ~1 MiB of gzip that expands to 1 GiB; the limit is 4 MiB.
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(z.compress(chunk) for _ in range(1024)) + z.flush()
    assert len(bomb) < 2 * 1024 * 1024
    before = d.peak_rss_kib()
    status, reply, _ = c.post(bomb, encoding="gzip")
    assert status == 413 and "decompressed" in reply["error"], reply
    grown_mib = (d.peak_rss_kib() - before) / 1024
    # (AddressSanitizer keeps freed memory in quarantine: no memory figure there.)
    if os.environ.get("WEIR_SANITIZED") != "1":
        assert grown_mib < 16, f"peak RSS grew {grown_mib:.1f} MiB for a 4 MiB limit"
    assert metric(d.metrics(), "weir_errors_total", reason="decompressed_too_large") == 1
    # The daemon still serves.
    assert c.post(ndjson([ev("after the bomb")]))[0] == 202


def test_api_keys(gateway):
    d, c, _ = gateway
    status, reply, r = c.post(ndjson([ev("x")]), key=None)
    assert status == 401 and r.getheader("WWW-Authenticate") == "Bearer", reply
    assert c.post(ndjson([ev("x")]), key="not-a-key")[0] == 401
    status, reply, _ = c.post(ndjson([ev("x")]), key="expired-key")
    assert status == 401 and "expired" in reply["error"]
    status, reply, _ = c.post(ndjson([ev("x")]), key="revoked-key")
    assert status == 403 and "revoked" in reply["error"]
    m = d.metrics()
    assert metric(m, "weir_errors_total", reason="unauthorized") == 3
    assert metric(m, "weir_errors_total", reason="forbidden") == 1
    assert not any(e["message"] == "x" for e in out_events(d))


def test_keys_file_reloads_on_sighup(gateway):
    d, c, keys = gateway
    assert c.post(ndjson([ev("x")]), key="brand-new-key")[0] == 401
    keys.write_text(keys_yaml(f"  - {{tenant: fresh, sha256: {sha('brand-new-key')}}}\n"
                              f"  - {{tenant: shop, sha256: {sha('good-key-1')}, revoked: true}}\n")
                    .replace(f"  - {{tenant: shop, sha256: {sha('good-key-1')}}}\n", ""))
    d.reload_signal()
    assert c.post(ndjson([ev("from the new key")]), key="brand-new-key")[0] == 202
    assert c.post(ndjson([ev("x")]), key="good-key-1")[0] == 403
    assert [e["tenant"] for e in out_events(d) if e["message"] == "from the new key"] == ["fresh"]
    # A broken keys file is refused; the keys loaded before stay in force.
    keys.write_text("keys: [ {tenant: broken, sha256: nothex} ]\n")
    d.reload_signal()
    assert "sha256 must be 64 hex digits" in d.stderr()
    assert c.post(ndjson([ev("still works")]), key="brand-new-key")[0] == 202


def test_rate_limit_per_key(gateway):
    d, c, _ = gateway
    assert c.post(ndjson([ev(f"r{i}") for i in range(150)]), key="limited-key")[0] == 202
    status, reply, r = c.post(ndjson([ev(f"s{i}") for i in range(150)]), key="limited-key")
    assert status == 429, reply
    assert int(r.getheader("Retry-After")) >= 1
    # Other keys have their own buckets.
    assert c.post(ndjson([ev(f"t{i}") for i in range(150)]))[0] == 202
    # More than the burst can never pass: 413, not an endless 429.
    status, reply, _ = c.post(ndjson([ev(f"u{i}") for i in range(300)]), key="limited-key")
    assert status == 413 and "burst" in reply["error"], reply
    assert metric(d.metrics(), "weir_errors_total", reason="rate_limited") == 1


def test_size_limits_and_routing(gateway):
    d, c, _ = gateway
    # Refused from the Content-Length alone, before the body is sent.
    with socket.create_connection(("127.0.0.1", c.port), timeout=10) as s:
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good-key-1\r\n"
                  b"Content-Type: text/plain\r\nContent-Length: 3145728\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 413")
    # Chunked, so the size is only known while reading: refused at the limit.
    with socket.create_connection(("127.0.0.1", c.port), timeout=10) as s:
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good-key-1\r\n"
                  b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        reply = b""
        try:
            for _ in range(64):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            reply = s.recv(4096)
        except ConnectionResetError:
            pass
        assert reply.startswith(b"HTTP/1.1 413") or reply == b"", reply
    assert metric(d.metrics(), "weir_errors_total", reason="body_too_large") == 2
    assert c.post(ndjson([ev("x")]), path="/elsewhere")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
    conn.request("GET", "/v1/logs")
    r = conn.getresponse()
    assert r.status == 405 and r.getheader("Allow") == "POST"
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()
    assert c.post(b"x", content_type="application/xml")[0] == 415


def test_validation_drops_only_bad_entries(gateway):
    d, c, _ = gateway
    future = "2099-01-01T00:00:00Z"
    body = ndjson([ev("ok 1"), ev(""), {"no": "message"}, ev("bad time", timestamp="yesterday"),
                   ev("future", timestamp=future), ev("bad level", level="loud"), ev("y" * 2000),
                   ev("ok 2", level="ERROR")]) + b"{not json\n"
    status, reply, _ = c.post(body)
    assert status == 400, reply
    assert reply["accepted"] == 2 and reply["rejected"] == 7, reply
    errors = {e["index"]: e["error"] for e in reply["errors"]}
    assert errors == {
        1: "message is empty",
        2: "message is missing",
        3: "timestamp is not a time (ISO 8601 or Unix epoch expected)",
        4: "timestamp is more than 10m in the future",
        5: "level 'loud' is not a known level",
        6: "message is longer than 1024 bytes",
        8: "invalid JSON",
    }, errors
    assert sorted(e["message"] for e in out_events(d)) == ["ok 1", "ok 2"]
    assert metric(d.metrics(), "weir_events_dropped_total", reason="invalid_event") == 7
    status, reply, _ = c.post(b"[1, 2", content_type="application/json")
    assert status == 400 and "not valid JSON" in reply["error"]


def test_validation_can_reject_the_whole_batch(tmp_path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(keys_yaml())
    d = Daemon({"strict.yaml": pipeline(str(keys), "strict", "    on_invalid: reject_batch")})
    try:
        d.start()
        c = Client(d.listen_port("api", scheme="http"))
        status, reply, _ = c.post(ndjson([ev("good"), ev("")]))
        assert status == 400 and reply["accepted"] == 0 and reply["rejected"] == 2, reply
        assert c.post(ndjson([ev("all good")]))[0] == 202
        assert [e["message"] for e in out_events(d)] == ["all good"]
    finally:
        d.cleanup()


def test_full_pipeline_answers_503(tmp_path):
    # stdout is a pipe nobody reads: the output blocks, the queues fill up.
    d = Daemon({"stuck.yaml": """
name: stuck
inputs:
  - {type: http, name: api, listen: "127.0.0.1:0", acknowledgements: false}
outputs:
  - type: stdout
queue:
  max_events: 256
"""}, stdout=subprocess.PIPE)
    try:
        d.start()
        c = Client(d.listen_port("api", scheme="http"))
        body = ndjson([ev("m" * 200) for _ in range(200)])
        statuses = []
        for _ in range(200):
            status, reply, r = c.post(body, key=None)
            statuses.append(status)
            if status == 503:
                assert int(r.getheader("Retry-After")) >= 1
                assert "full" in reply["error"]
                break
        assert statuses[-1] == 503, statuses
        assert metric(d.metrics(), "weir_errors_total", reason="queue_full") >= 1
    finally:
        d.cleanup()
        if d.proc.stdout:
            d.proc.stdout.close()


def test_thousand_concurrent_connections(gateway):
    d, c, _ = gateway
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    n = 1000
    socks = []
    try:
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", c.port), timeout=30))
        body = ndjson([ev("concurrent")])
        req = (f"POST /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good-key-1\r\n"
               f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for s in socks:  # every connection is open before any request is sent
            s.sendall(req)
        ok = 0
        for s in socks:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            ok += data.startswith(b"HTTP/1.1 202")
        assert ok == n
    finally:
        for s in socks:
            s.close()
    assert sum(1 for e in out_events(d) if e["message"] == "concurrent") == n


def test_slow_loris_is_cut_off(gateway):
    d, c, _ = gateway
    s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    closed = False
    # One header byte every 100 ms: never idle, never done. read_timeout is 1s.
    for _ in range(100):
        try:
            s.sendall(b"X")
            s.settimeout(0.1)
            if s.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
    s.close()
    assert closed, "the slow client was never cut off"
    assert time.monotonic() - start < 5
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="read_timeout") >= 1,
               message="read_timeout counted")


def test_custom_message_time_and_level_keys(tmp_path):
    d = Daemon({"keys.yaml": """
name: custom
inputs:
  - {type: http, name: api, listen: "127.0.0.1:0", message_key: msg, time_key: ts, level_key: severity}
outputs:
  - type: stdout
"""})
    try:
        d.start()
        c = Client(d.listen_port("api", scheme="http"))
        body = ndjson([{"msg": "custom keys", "ts": 1764410400, "severity": "warning"},
                       {"msg": "bad level", "severity": "loud"}])
        status, reply, _ = c.post(body, key=None)
        assert status == 400 and reply["accepted"] == 1, reply
        assert reply["errors"] == [{"index": 1, "error": "level 'loud' is not a known level"}]
        [e] = d.stdout_json()
        assert e["message"] == "custom keys"
        assert e["@timestamp"].startswith("2025-11-29T10:00:00")
        assert "ts" not in e
    finally:
        d.cleanup()
