"""The store end to end: file -> json -> store output -> durable store ->
/api/v1/logs/search and /aggregate, `weir query`, restarts and kill -9."""
import json
import os
import subprocess
import urllib.parse

from weirtest import WEIR_BIN, metric, wait_until

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
  max_events: 500
"""

STORE = "store:\n  block_events: 256\n"
LEVELS = ["INFO", "ERROR", "WARN", "DEBUG"]
SERVICES = ["checkout", "payment", "auth"]


def make_events(n):
    """Events over 2026-01-19 in time order, then late ones from the day before."""
    out = []
    for i in range(n):
        late = i >= n - n // 10
        day = 18 if late else 19
        sec = (i * 37) % 86400 if not late else (i * 53) % 86400
        out.append({
            "timestamp": "2026-01-%02dT%02d:%02d:%02dZ" % (day, sec // 3600, sec // 60 % 60, sec % 60),
            "level": LEVELS[i % 4],
            "service": SERVICES[i % 3],
            "message": "request %d %s" % (i, "timeout talking to db" if i % 7 == 0 else "ok"),
            "latency_ms": i % 1000,
            "seq": i,
        })
    return out


def write_lines(path, events):
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def search(d, **params):
    return d.get_json("/api/v1/logs/search?" + urllib.parse.urlencode(params))


def aggregate(d, **params):
    return d.get_json("/api/v1/logs/aggregate?" + urllib.parse.urlencode(params))


def stored(d):
    return metric(d.metrics(), "weir_store_events") or 0


def start_with(daemons, events):
    d = daemons({}, extra_service=STORE)
    log = os.path.join(d.dir, "app.log")
    write_lines(log, events)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()
    wait_until(lambda: stored(d) >= len(events), timeout=120, message="every event stored")
    return d, log


def test_search_aggregate_and_query_answer_exactly(daemons):
    events = make_events(3000)
    d, _ = start_with(daemons, events)

    # Newest first, exact total, every row matches.
    want = [e for e in events if e["level"] == "ERROR" and "timeout" in e["message"]]
    want.sort(key=lambda e: e["timestamp"], reverse=True)
    r = search(d, q="level:ERROR AND timeout", limit=1000)
    assert r["total"] == len(want) and r["total_exact"] is True
    assert [e["seq"] for e in r["results"]] == [e["seq"] for e in want] or \
        [e["@timestamp"][:19] for e in r["results"]] == [e["timestamp"][:19] for e in want]
    assert {e["seq"] for e in r["results"]} == {e["seq"] for e in want}
    assert r["next_cursor"] is None
    for key in ("partitions_scanned", "blocks_scanned", "blocks_pruned_time", "rows_scanned", "path"):
        assert key in r["stats"]
    assert "took_ms" in r

    # Paging with the cursor: every row once, in the same order.
    seen, cursor = [], None
    for _ in range(100):
        page = search(d, q="level:ERROR AND timeout", limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [e["seq"] for e in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [e["seq"] for e in r["results"]]

    # A time range; the late events of the day before are stored and found.
    late = search(d, **{"from": "2026-01-18", "to": "2026-01-18", "limit": 10000})
    assert late["total"] == sum(1 for e in events if e["timestamp"].startswith("2026-01-18"))
    assert late["stats"]["partitions_pruned"] >= 1
    lv = search(d, level="WARN,DEBUG", limit=1)
    assert lv["total"] >= 1 and lv["results"][0]["level"] in ("WARN", "DEBUG")

    # Aggregates: counts by level, a time series, a percentile.
    a = aggregate(d, group_by="level", limit=10)
    assert a["exact"] is True
    assert {x["group"]["level"]: x["count"] for x in a["results"]} == {l: 750 for l in LEVELS}
    s = aggregate(d, q="timeout", interval="1h", **{"from": "2026-01-19", "to": "2026-01-19"})
    buckets = {}
    for e in events:
        if "timeout" in e["message"] and e["timestamp"].startswith("2026-01-19"):
            buckets[e["timestamp"][:13]] = buckets.get(e["timestamp"][:13], 0) + 1
    assert {x["time"][:13]: x["count"] for x in s["results"]} == buckets
    p = aggregate(d, metric="max", field="latency_ms", group_by="service", limit=2)
    assert len(p["results"]) == 2 and p["groups_total"] == 3
    assert all(x["value"] == 999 for x in p["results"])

    # Errors name what is wrong.
    status, body = d.request("GET", "/api/v1/logs/search?q=" + urllib.parse.quote("level:(ERROR"))
    assert status == 400
    err = json.loads(body)
    assert err["position"] == 12 and "q" in err["error"]
    status, body = d.request("GET", "/api/v1/logs/search?limit=0")
    assert status == 400 and json.loads(body)["param"] == "limit"
    status, body = d.request("GET", "/api/v1/logs/aggregate?metric=p95")
    assert status == 400 and json.loads(body)["param"] == "field"

    # weir query asks the same API.
    api = "127.0.0.1:%d" % d.port
    out = subprocess.run([WEIR_BIN, "query", "level:ERROR AND timeout", "--api", api, "--limit", "5",
                          "--format", "json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [json.loads(l)["seq"] for l in out.stdout.splitlines()] == [e["seq"] for e in r["results"][:5]]
    out = subprocess.run([WEIR_BIN, "query", "timeout", "--api", api, "--limit", "3", "--format", "csv"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.splitlines()[0] == "time,level,service,host,message"
    assert len(out.stdout.splitlines()) == 4
    out = subprocess.run([WEIR_BIN, "query", "level:(x", "--api", api], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "position" in out.stderr
    assert d.terminate() == 0


def test_data_survives_a_restart(daemons):
    events = make_events(1200)
    d, _ = start_with(daemons, events)
    before = aggregate(d, group_by="service")
    assert d.terminate() == 0
    d.start()
    assert stored(d) == len(events)  # opened, nothing re-read, nothing lost
    assert aggregate(d, group_by="service")["results"] == before["results"]
    assert search(d, q="timeout", limit=1)["total"] >= 1
    assert d.terminate() == 0


def _checkpoint_offset(d):
    path = os.path.join(d.data_dir, "state", "app", "app", "checkpoints")
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    return int(parts[2])
    except (OSError, ValueError):
        pass
    return 0


def test_kill9_during_ingest_keeps_every_checkpointed_event_once(daemons):
    n = 100_000
    d = daemons({}, extra_service=STORE)
    log = os.path.join(d.dir, "app.log")
    with open(log, "w") as f:
        for i in range(n):
            f.write('{"timestamp":"2026-01-19T%02d:%02d:%02dZ","seq":%d,"message":"line %d of the crash test"}\n'
                    % (i // 3600 % 24, i // 60 % 60, i % 60, i, i))
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()
    wait_until(lambda: _checkpoint_offset(d) > 0, timeout=120, message="a checkpoint past some stored events")
    d.kill9()
    offset = _checkpoint_offset(d)
    with open(log, "rb") as f:
        k = f.read(offset).count(b"\n")  # lines the checkpoint passed
    assert 0 < k < n, "the crash came too late to test anything"

    d.start()
    wait_until(lambda: aggregate(d)["results"][0]["count"] >= n, timeout=180, message="the rest stored after restart")
    # Every event the checkpoint passed: there, once (count and sum agree).
    c = aggregate(d, q="seq<%d" % k, metric="sum", field="seq")["results"][0]
    assert c["count"] == k
    assert c["value"] == k * (k - 1) // 2
    # And nothing after it is missing.
    rest = aggregate(d, q="seq>=%d" % k, group_by="seq", limit=1)
    assert rest["groups_total"] == n - k
    assert d.terminate() == 0


def test_the_store_lives_across_reloads_and_serves_several_pipelines(daemons):
    events = make_events(800)
    d, log = start_with(daemons, events)
    other = os.path.join(d.dir, "other.log")
    write_lines(other, [{"timestamp": "2026-01-19T12:00:00Z", "level": "ERROR", "message": "from the second pipeline",
                         "seq": 100000 + i} for i in range(50)])
    # A changed pipeline (its old and new copy run side by side briefly) and a new one.
    d.write_pipeline("app.yaml", PIPELINE.format(path=log).replace("max_events: 500", "max_events: 400"))
    d.write_pipeline("other.yaml", PIPELINE.format(path=other).replace("name: app", "name: other"))
    r = d.reload_signal()
    assert r["result"] == "success", r
    wait_until(lambda: stored(d) >= len(events) + 50, timeout=120, message="the second pipeline's events stored")
    assert search(d, q="second", limit=100)["total"] == 50
    assert stored(d) == len(events) + 50  # the changed pipeline resumed from its checkpoint
    status, body = d.request("GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert d.terminate() == 0


def _get(d, path, token):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def test_a_tokens_tenant_sees_only_its_events(daemons):
    import hashlib
    d = daemons({}, extra_service="  api:\n    tokens_file: tokens.yaml\n" + STORE)
    with open(os.path.join(d.dir, "tokens.yaml"), "w") as f:
        f.write("keys:\n")
        for token, tenant in (("acme-secret", "acme"), ("ops-secret", None)):
            f.write(f"  - sha256: {hashlib.sha256(token.encode()).hexdigest()}\n    scopes: [read]\n")
            if tenant:
                f.write(f"    tenant: {tenant}\n")
    events = make_events(600)
    for e in events:
        e["tenant"] = "acme" if e["seq"] % 3 == 0 else "globex"
    log = os.path.join(d.dir, "app.log")
    write_lines(log, events)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()

    def count(token, q=""):
        status, body = _get(d, "/api/v1/logs/aggregate?" + urllib.parse.urlencode({"q": q}), token)
        assert status == 200, body
        return body["results"][0]["count"] if body["results"] else 0
    wait_until(lambda: count("ops-secret") >= len(events), timeout=120, message="every event stored")
    acme = sum(1 for e in events if e["tenant"] == "acme")
    assert count("acme-secret") == acme
    assert count("acme-secret", "tenant:globex") == 0
    status, body = _get(d, "/api/v1/logs/search?limit=1000", "acme-secret")
    assert status == 200 and body["total"] == acme
    assert {e["tenant"] for e in body["results"]} == {"acme"}
    assert _get(d, "/api/v1/logs/search", "wrong")[0] == 401
    assert d.terminate() == 0


def test_a_full_disk_pauses_writes_and_loses_nothing(daemons):
    import tempfile
    import pytest
    mnt = tempfile.mkdtemp(prefix="weir-it-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], capture_output=True).returncode != 0:
        os.rmdir(mnt)
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    d = None
    try:
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                for _ in range(10_000):
                    f.write(b"\0" * 4096)
            except OSError:
                pass  # the disk is full
        d = daemons({}, extra_service=f"store:\n  path: {mnt}/store\n  block_events: 256\n")
        events = make_events(5000)
        log = os.path.join(d.dir, "app.log")
        write_lines(log, events)
        d.write_pipeline("app.yaml", PIPELINE.format(path=log))
        d.start()
        wait_until(lambda: json.loads(d.request("GET", "/health")[1])["status"] == "degraded", timeout=60,
                   message="/health degraded on a full disk")
        m = d.metrics()
        assert metric(m, "weir_store_degraded") == 1
        assert metric(m, "weir_store_write_errors_total") >= 1
        assert "writes paused" in d.stderr()
        os.unlink(filler)  # room again: the same events are committed, once
        wait_until(lambda: stored(d) >= len(events), timeout=120, message="writes resumed")
        assert json.loads(d.request("GET", "/health")[1])["status"] == "ok"
        assert aggregate(d)["results"][0]["count"] == len(events)
        assert "writes resumed" in d.stderr()
        assert d.terminate() == 0
    finally:
        if d is not None:
            d.cleanup()
        if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)
