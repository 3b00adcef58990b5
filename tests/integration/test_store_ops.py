"""Store operations end to end: GET/POST /api/v1/retention (scopes, validation,
deletions counted on /metrics), `weir store stats|verify|backup|restore` and
`weir query --data-dir` on a real daemon's data dir, backup -> restore -> the
same answers."""
import datetime
import hashlib
import http.client
import json
import os
import subprocess
import urllib.parse

from weirtest import WEIR_BIN, metric, parse_metrics, wait_until

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


def old_events(n):
    """Events of 2026-01-18 and 2026-01-19, long past any retention below."""
    out = []
    for i in range(n):
        day = 18 if i % 5 == 0 else 19
        sec = (i * 37) % 86400
        out.append({
            "timestamp": "2026-01-%02dT%02d:%02d:%02dZ" % (day, sec // 3600, sec // 60 % 60, sec % 60),
            "level": LEVELS[i % 4],
            "message": "request %d %s" % (i, "timeout talking to db" if i % 7 == 0 else "ok"),
            "seq": i,
        })
    return out


def recent_events(n, start_seq):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=30)
    return [{
        "timestamp": (now + datetime.timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": LEVELS[i % 4],
        "message": "fresh %d" % i,
        "seq": start_seq + i,
    } for i in range(n)]


def write_lines(path, events):
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def call(port, method, path, token=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": "Bearer " + token} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None
    finally:
        conn.close()


def weir(*args):
    return subprocess.run([WEIR_BIN, *args], capture_output=True, text=True, timeout=120)


def test_retention_api_needs_admin_validates_and_counts_deletions(daemons):
    d = daemons({}, extra_service="  api:\n    tokens_file: tokens.yaml\n" + STORE)
    with open(os.path.join(d.dir, "tokens.yaml"), "w") as f:
        f.write("keys:\n")
        for token, scopes in (("reader-secret", "read"), ("admin-secret", "read, admin")):
            f.write(f"  - sha256: {hashlib.sha256(token.encode()).hexdigest()}\n    scopes: [{scopes}]\n")
    old = old_events(400)
    fresh = recent_events(40, 400)
    log = os.path.join(d.dir, "app.log")
    write_lines(log, old + fresh)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()

    def total(token="reader-secret", q=""):
        status, body = call(d.port, "GET", "/api/v1/logs/search?" + urllib.parse.urlencode({"q": q, "limit": 1000}),
                            token)
        assert status == 200, body
        return body["total"]
    wait_until(lambda: total() >= 440, timeout=120, message="every event stored")

    status, body = call(d.port, "GET", "/api/v1/retention", "reader-secret")
    assert status == 200 and body["policy"] == {"max_age": "0s", "max_age_ns": 0, "max_size": 0, "by_level": {},
                                                 "emergency": False}, body
    # Changing it needs the admin scope.
    status, body = call(d.port, "POST", "/api/v1/retention", "reader-secret", '{"max_age":"30d"}')
    assert status == 403, body
    assert call(d.port, "POST", "/api/v1/retention", None, '{"max_age":"30d"}')[0] == 401
    # Bad bodies: 400 naming the field, nothing changed.
    for text, param in (('{"max_age":"soon"}', "max_age"), ('{"max_size":"lots"}', "max_size"),
                        ('{"by_level":{"ERROR":"x"}}', "by_level.ERROR"), ('{"by_level":[1]}', "by_level"),
                        ('{"emergency":"yes"}', "emergency"), ('{"max_agee":"1d"}', "max_agee")):
        status, body = call(d.port, "POST", "/api/v1/retention", "admin-secret", text)
        assert status == 400 and body["param"] == param and param.split(".")[0] in body["error"], (text, body)
    status, body = call(d.port, "POST", "/api/v1/retention", "admin-secret", "not json")
    assert status == 400 and "JSON object" in body["error"], body
    assert total() == 440

    # By age: both January days go at once, counted by reason.
    status, body = call(d.port, "POST", "/api/v1/retention", "admin-secret", '{"max_age":"30d","emergency":true}')
    assert status == 200, body
    assert body["policy"]["max_age"] == "30d" and body["policy"]["emergency"] is True
    assert body["persisted"] is False
    assert body["report"]["partitions_deleted"] == 2 and body["report"]["events_deleted"] == 400, body
    assert len(body["report"]["actions"]) == 2
    assert total() == 40

    def metrics():
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        try:
            conn.request("GET", "/metrics", headers={"Authorization": "Bearer reader-secret"})
            return parse_metrics(conn.getresponse().read().decode())
        finally:
            conn.close()
    m = metrics()
    assert metric(m, "weir_store_partitions_deleted_total", reason="age") == 2
    assert metric(m, "weir_store_events_deleted_total", reason="age") == 400
    # By level, inside today's partition: fields left out keep their value.
    status, body = call(d.port, "POST", "/api/v1/retention", "admin-secret", '{"by_level":{"debug":"1m"}}')
    assert status == 200, body
    assert body["policy"]["by_level"] == {"DEBUG": "1m"} and body["policy"]["max_age"] == "30d", body
    assert body["report"]["events_deleted"] == 10 and body["report"]["partitions_deleted"] == 0, body
    assert total() == 30 and total(q="level:DEBUG") == 0 and total(q="level:ERROR") == 10
    assert metric(metrics(), "weir_store_events_deleted_total", reason="level") == 10
    status, body = call(d.port, "GET", "/api/v1/retention", "reader-secret")
    assert body["policy"]["by_level"] == {"DEBUG": "1m"}
    assert "retention (age): deleted partition 2026-01-18" in d.stderr()
    assert d.terminate() == 0


def search_seqs(d, q):
    status, body = call(d.port, "GET", "/api/v1/logs/search?" + urllib.parse.urlencode({"q": q, "limit": 10000}))
    assert status == 200, body
    return sorted(e["seq"] for e in body["results"])


def local_seqs(data_dir, q):
    out = weir("query", q, "--data-dir", data_dir, "--format", "json", "--limit", "10000")
    assert out.returncode == 0, out.stderr
    return sorted(json.loads(line)["seq"] for line in out.stdout.splitlines() if line)


def test_store_commands_and_query_on_a_data_dir_backup_and_restore(daemons):
    d = daemons({}, extra_service=STORE)
    events = old_events(2000)
    log = os.path.join(d.dir, "app.log")
    write_lines(log, events)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()
    wait_until(lambda: (metric(d.metrics(), "weir_store_events") or 0) >= len(events), timeout=120,
               message="every event stored")
    queries = ["", "level:ERROR AND timeout", "timeout", "level:(WARN OR DEBUG)", "nothingatall"]
    want = {q: search_seqs(d, q) for q in queries}
    assert len(want[""]) == len(events)

    # Read-only, while the daemon runs.
    for q in queries:
        assert local_seqs(d.data_dir, q) == want[q], q
    out = weir("query", "--data-dir", d.data_dir, "--aggregate", "count", "--group-by", "level", "--format", "json")
    assert out.returncode == 0, out.stderr
    counts = {json.loads(l)["group"]["level"]: json.loads(l)["count"] for l in out.stdout.splitlines()}
    assert counts == {l: 500 for l in LEVELS}
    out = weir("query", "level:(x", "--data-dir", d.data_dir)
    assert out.returncode == 1 and "^" in out.stderr
    out = weir("store", "stats", "--data-dir", d.data_dir, "--json")
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["events"] == len(events)
    assert [p["day"] for p in st["partitions"]] == ["2026-01-18", "2026-01-19"]
    assert st["partitions"][0]["events"] == 400 and st["partitions"][0]["blocks"] >= 2
    out = weir("store", "stats", "-c", d.config)
    assert out.returncode == 0 and "2026-01-19" in out.stdout and "total" in out.stdout, out.stderr
    out = weir("store", "verify", "--data-dir", d.data_dir)
    assert out.returncode == 0 and out.stdout.startswith("ok: 2 partitions"), out.stdout + out.stderr

    # A hot backup while the daemon runs; restore is refused while it does.
    backup = os.path.join(d.dir, "backup")
    out = weir("store", "backup", backup, "--data-dir", d.data_dir)
    assert out.returncode == 0, out.stderr
    assert sorted(os.listdir(backup)) == ["2026-01-18", "2026-01-19", "backup.json"]
    out = weir("store", "restore", backup, "--data-dir", d.data_dir, "--force")
    assert out.returncode == 1 and "in use by a running process" in out.stderr, out.stderr
    assert d.terminate() == 0

    # Into a new folder: the same answers, read-only.
    fresh = os.path.join(d.dir, "restored")
    out = weir("store", "restore", backup, "--data-dir", fresh)
    assert out.returncode == 0, out.stderr
    for q in queries:
        assert local_seqs(fresh, q) == want[q], q
    out = weir("store", "verify", "--data-dir", fresh, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True

    # Over the daemon's own store: only with --force; then the daemon answers the same.
    out = weir("store", "restore", backup, "--data-dir", d.data_dir)
    assert out.returncode == 1 and "--force" in out.stderr, out.stderr
    out = weir("store", "restore", backup, "--data-dir", d.data_dir, "--force")
    assert out.returncode == 0, out.stderr
    d.start()
    wait_until(lambda: (metric(d.metrics(), "weir_store_events") or 0) >= len(events), timeout=60,
               message="the restored store open")
    for q in queries:
        assert search_seqs(d, q) == want[q], q
    assert d.terminate() == 0
    # Not a backup: refused, nothing touched.
    out = weir("store", "restore", os.path.join(d.dir, "pipelines"), "--data-dir", fresh, "--force")
    assert out.returncode == 1 and "backup.json" in out.stderr, out.stderr
    assert local_seqs(fresh, "") == want[""]


def test_emergency_retention_turned_on_while_writes_pause_deletes_the_oldest_day(daemons):
    import pytest
    import random
    import tempfile
    mnt = tempfile.mkdtemp(prefix="weir-it-emergency-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt], capture_output=True).returncode != 0:
        os.rmdir(mnt)
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    d = None
    try:
        d = daemons({}, extra_service=f"store:\n  path: {mnt}/store\n  block_events: 256\n  sync: false\n")
        rng = random.Random(5)
        # Bodies that compress badly and hold no words (the index stays small):
        # two days of about 1.6 MiB each.
        noise = "!#$%&*+,./:;<=>?@^|~"
        old = [{"timestamp": "2026-01-%02dT%02d:%02d:00Z" % (18 + i % 2, i % 24, i % 60), "level": "INFO",
                "message": "old " + "".join(rng.choice(noise) for _ in range(600)), "seq": i}
               for i in range(10000)]
        log = os.path.join(d.dir, "app.log")
        write_lines(log, old)
        d.write_pipeline("app.yaml", PIPELINE.format(path=log))
        d.start()
        wait_until(lambda: (metric(d.metrics(), "weir_store_events") or 0) >= len(old), timeout=120,
                   message="the old days stored")
        assert sorted(os.listdir(os.path.join(mnt, "store")))[:2] == ["2026-01-18", "2026-01-19"]
        # Fill the disk, then today's events arrive: no room for today's partition.
        with open(os.path.join(mnt, "filler"), "wb", buffering=0) as f:
            try:
                for _ in range(10_000):
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        fresh = recent_events(50, 10_000)
        with open(log, "a") as f:
            for e in fresh:
                f.write(json.dumps(e) + "\n")

        # Writes pause; turning emergency retention on at runtime frees room at
        # the next retry (the POST does not wait for the paused writer).
        wait_until(lambda: json.loads(d.request("GET", "/health")[1])["status"] == "degraded", timeout=60,
                   message="/health degraded on a full disk")
        status, body = call(d.port, "POST", "/api/v1/retention", None, '{"emergency":true}')
        assert status == 200 and body["policy"]["emergency"] is True, body
        assert "writes are paused" in body["report"]["actions"][0], body

        def fresh_stored():
            status, body = call(d.port, "GET", "/api/v1/logs/search?q=fresh&limit=100")
            return status == 200 and body["total"] == len(fresh)
        wait_until(fresh_stored, timeout=120, message="today's events stored after an emergency deletion")
        m = d.metrics()
        assert metric(m, "weir_store_partitions_deleted_total", reason="emergency") >= 1
        assert metric(m, "weir_store_events_deleted_total", reason="emergency") >= 5000
        assert not os.path.exists(os.path.join(mnt, "store", "2026-01-18"))  # the oldest went first
        assert "retention (emergency): deleted partition 2026-01-18" in d.stderr()
        assert d.terminate() == 0
    finally:
        if d is not None:
            d.cleanup()
        if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)
