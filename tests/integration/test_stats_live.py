"""Live counters (GET /api/v1/stats/live) end to end: a real daemon stores what
a file brings; a WebSocket client and an SSE client see each second's counts,
and together they add up to exactly what was written."""
import hashlib
import http.client
import json
import math
import os
import time

from weirtest import metric, parse_metrics, wait_until
from wsclient import WebSocket

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: store
batch:
  max_events: 50
"""

READER = "reader-secret"
TENANT = "acme-secret"
AUTH = {"Authorization": "Bearer " + READER}
AUTH_ACME = {"Authorization": "Bearer " + TENANT}

LEVELS = ["info", "INFO", "warn", "error", "fatal", "debug"]
SOURCES = ["nginx", "app", "db"]


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def start(daemons):
    d = daemons({}, extra_service="  api:\n    tokens_file: tokens.yaml\n")
    with open(os.path.join(d.dir, "tokens.yaml"), "w") as f:
        f.write(f"keys:\n  - sha256: {sha(READER)}\n    scopes: [read]\n"
                f"  - sha256: {sha(TENANT)}\n    scopes: [read]\n    tenant: acme\n")
    log = os.path.join(d.dir, "app.log")
    open(log, "w").close()
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()
    return d, log


def events(n):
    """n events of known levels, sources, services, tenants and latencies."""
    out = []
    for i in range(n):
        e = {"level": LEVELS[i % len(LEVELS)], "source": SOURCES[i % len(SOURCES)],
             "service": "svc%d" % (i % 2), "latency_ms": 1 + (i * 37) % 500, "message": "m %d" % i}
        if i % 4 == 0:
            e["tenant"] = "acme"
        out.append(e)
    return out


def expected(evs):
    by_level, by_source = {}, {}
    for e in evs:
        by_level[e["level"].upper()] = by_level.get(e["level"].upper(), 0) + 1
        by_source[e["source"]] = by_source.get(e["source"], 0) + 1
    errors = sum(1 for e in evs if e["level"].upper() in ("ERROR", "FATAL"))
    return by_level, by_source, errors


def nearest_rank(values, q):
    v = sorted(values)
    return v[max(1, math.ceil(q * len(v))) - 1]


def add_up(points):
    total = {"events": 0, "errors": 0, "ingest": 0, "by_level": {}, "by_source": {}}
    for p in points:
        assert p["type"] == "stats" and p["interval_s"] == 1 and p["time"].endswith("Z")
        assert p["events_per_s"] == p["events"]
        total["events"] += p["events"]
        total["errors"] += p["errors_per_s"]
        total["ingest"] += p["ingest_per_s"]
        for k in ("by_level", "by_source"):
            for name, n in p[k].items():
                total[k][name] = total[k].get(name, 0) + n
    return total


def check_percentiles(stat, values):
    assert stat["count"] == len(values)
    assert stat["max"] == max(values)
    for q, name in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        truth = nearest_rank(values, q)
        assert abs(stat[name] - truth) <= truth * 0.01 + 1e-9, (name, stat[name], truth)


def append(path, evs):
    with open(path, "a") as f:
        for e in evs:
            f.write(json.dumps(e) + "\n")


def stored(d):
    status, body = get(d.port, "/metrics", AUTH)
    assert status == 200
    return metric(parse_metrics(body.decode()), "weir_store_events") or 0


def get(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_websocket_counts_add_up_to_what_was_written(daemons):
    d, log = start(daemons)
    ws = WebSocket(d.port, "/api/v1/stats/live", headers=AUTH)
    assert ws.status == 101
    assert WebSocket(d.port, "/api/v1/stats/live").status == 401
    n = 600
    evs = events(n)
    append(log, evs)
    points = []
    deadline = time.monotonic() + 60
    # One message per closed second, each second once: read until they hold
    # every event and the engine's input count has caught up too.
    while time.monotonic() < deadline:
        points.append(json.loads(ws.recv_text()))
        t = add_up(points)
        if t["events"] >= n and t["ingest"] >= n:
            break
    t = add_up(points)
    by_level, by_source, errors = expected(evs)
    assert t["events"] == n and t["ingest"] == n
    assert t["by_level"] == by_level
    assert t["by_source"] == by_source
    assert t["errors"] == errors
    secs = [p["time"] for p in points]
    assert secs == sorted(set(secs)), "each second once, in order"
    # The last minute's latency percentiles hold every event (all within a minute).
    last = points[-1]["latency"]["latency_ms"]["1m"]
    check_percentiles(last, [e["latency_ms"] for e in evs])
    assert sum(p["latency"].get("latency_ms", {}).get("1s", {}).get("count", 0) for p in points) == n
    ws.close()
    assert stored(d) == n
    assert d.terminate() == 0


def test_series_sse_plain_get_and_tenant(daemons):
    d, log = start(daemons)
    n = 400
    evs = events(n)
    append(log, evs)
    wait_until(lambda: stored(d) >= n, message="stored")
    acme = [e for e in evs if e.get("tenant") == "acme"]

    # The last closed second might still be open: wait until the series holds everything.
    def series(headers):
        status, body = get(d.port, "/api/v1/stats/current?window=60", headers)
        assert status == 200
        s = json.loads(body)
        assert s["type"] == "series"
        return s

    wait_until(lambda: add_up(series(AUTH)["points"])["events"] == n, timeout=10, message="series complete")
    s = series(AUTH)
    t = add_up(s["points"])
    by_level, by_source, errors = expected(evs)
    assert t["by_level"] == by_level and t["by_source"] == by_source and t["errors"] == errors
    assert len(s["points"]) <= 60

    # A tenant's token counts only its tenant's events.
    ta = add_up(series(AUTH_ACME)["points"])
    assert ta["events"] == len(acme)
    assert ta["by_level"] == expected(acme)[0]
    check_percentiles(series(AUTH_ACME)["points"][-1]["latency"]["latency_ms"]["1m"],
                      [e["latency_ms"] for e in acme])

    # A plain GET: the newest closed second, once.
    status, body = get(d.port, "/api/v1/stats/current", AUTH)
    one = json.loads(body)
    assert status == 200 and one["type"] == "stats" and set(one) >= {
        "time", "interval_s", "events", "events_per_s", "errors_per_s", "ingest_per_s", "by_level", "by_source",
        "by_service", "latency"}
    # The WebSocket route answers a plain GET the same way.
    status, body = get(d.port, "/api/v1/stats/live", AUTH)
    assert status == 200 and json.loads(body)["type"] == "stats"
    assert get(d.port, "/api/v1/stats/current?window=61", AUTH)[0] == 400
    assert get(d.port, "/api/v1/stats/current", {})[0] == 401

    # SSE: the series first, then one stats object per second.
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    conn.request("GET", "/api/v1/stats/current?window=60", headers=dict(AUTH, Accept="text/event-stream"))
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"

    def next_event():
        data = []
        while True:
            line = r.fp.readline().decode()
            if line in ("\n", "\r\n") and data:
                return json.loads("".join(data))
            if line.startswith("data: "):
                data.append(line[6:].strip())
            assert line != "", "stream ended"

    first = next_event()
    assert first["type"] == "series" and add_up(first["points"])["events"] == n
    later = [next_event(), next_event()]
    assert all(p["type"] == "stats" for p in later)
    assert later[0]["time"] < later[1]["time"]
    assert first["points"][-1]["time"] < later[0]["time"]
    assert add_up(later)["events"] == 0  # nothing new was written

    # The streams are bounded (half the API workers: 2 of the default 4).
    conn2 = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    conn2.request("GET", "/api/v1/stats/current", headers=dict(AUTH, Accept="text/event-stream"))
    r2 = conn2.getresponse()
    assert r2.status == 200
    status, body = get(d.port, "/api/v1/stats/current", dict(AUTH, Accept="text/event-stream"))
    assert status == 503 and b"too many live counter streams" in body
    conn.close()
    conn2.close()
    # Closed streams give their places back (noticed at their next write).
    wait_until(lambda: get(d.port, "/api/v1/stats/current", AUTH)[0] == 200, message="plain GET still served")
    assert d.terminate() == 0
