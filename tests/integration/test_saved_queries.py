"""/api/v1/saved-queries against the real daemon: scopes (read lists, admin
saves and deletes), validation, replace by name, the file in the data dir
surviving a restart, a damaged file never overwritten; and the page served at
/ when the dashboard is not built."""
import hashlib
import http.client
import json
import os

from weirtest import Daemon

ADMIN = "saved-admin-secret"
VIEWER = "saved-viewer-secret"


def call(d, method, path, body=None, token=ADMIN):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    ctype = r.getheader("Content-Type") or ""
    return r.status, (json.loads(raw) if ctype.startswith("application/json") and raw else raw.decode())


def make_daemon(extra=""):
    d = Daemon({}, extra_service="  api:\n    tokens_file: tokens.yaml\n" + extra)
    with open(os.path.join(d.dir, "tokens.yaml"), "w") as f:
        f.write("keys:\n")
        f.write(f"  - sha256: {hashlib.sha256(ADMIN.encode()).hexdigest()}\n    scopes: [read, admin]\n")
        f.write(f"  - sha256: {hashlib.sha256(VIEWER.encode()).hexdigest()}\n    scopes: [read]\n")
    return d


def test_save_list_replace_delete_and_restart():
    d = make_daemon()
    d.start()
    try:
        status, body = call(d, "GET", "/api/v1/saved-queries", token=None)
        assert status == 401
        status, body = call(d, "GET", "/api/v1/saved-queries", token=VIEWER)
        assert status == 200 and body == {"saved_queries": [], "total": 0}

        q = {"name": "checkout errors", "query": 'level:error service:checkout "card declined"', "from": "now-1h",
             "to": "now", "columns": ["request_id", "status"]}
        status, body = call(d, "POST", "/api/v1/saved-queries", q, token=VIEWER)
        assert status == 403 and "admin" in body["error"]
        status, saved = call(d, "POST", "/api/v1/saved-queries", q)
        assert status == 201, saved
        assert saved["name"] == q["name"] and saved["query"] == q["query"] and saved["columns"] == q["columns"]
        assert saved["id"] and saved["created"]

        # The same name replaces the entry and keeps its id.
        status, again = call(d, "POST", "/api/v1/saved-queries", dict(q, query="level:error"))
        assert status == 200 and again["id"] == saved["id"] and again["query"] == "level:error"
        status, other = call(d, "POST", "/api/v1/saved-queries", {"name": "all", "query": ""})
        assert status == 201 and other["from"] == "" and other["columns"] == []

        status, one = call(d, "GET", "/api/v1/saved-queries/" + saved["id"], token=VIEWER)
        assert status == 200 and one["query"] == "level:error"
        status, listed = call(d, "GET", "/api/v1/saved-queries", token=VIEWER)
        assert [s["name"] for s in listed["saved_queries"]] == ["checkout errors", "all"]

        # Bad bodies are refused with what was wrong; nothing is lost.
        for bad, word in [("not json", "JSON object"), ({"query": "x"}, "name"), ({"name": "x", "colour": 1}, "colour"),
                          ({"name": "x", "columns": "a"}, "columns"), ({"name": 5}, "name")]:
            status, body = call(d, "POST", "/api/v1/saved-queries", bad)
            assert status == 400 and word in body["error"], (bad, body)
        status, listed = call(d, "GET", "/api/v1/saved-queries")
        assert listed["total"] == 2

        status, body = call(d, "DELETE", "/api/v1/saved-queries/" + other["id"], token=VIEWER)
        assert status == 403
        status, body = call(d, "DELETE", "/api/v1/saved-queries/" + other["id"])
        assert status == 200 and body == {"deleted": other["id"]}
        status, body = call(d, "DELETE", "/api/v1/saved-queries/" + other["id"])
        assert status == 404
        status, body = call(d, "GET", "/api/v1/saved-queries/nosuchid")
        assert status == 404

        path = os.path.join(d.data_dir, "saved_queries.json")
        on_disk = json.load(open(path))
        assert [s["id"] for s in on_disk["saved_queries"]] == [saved["id"]]
        assert not os.path.exists(path + ".tmp")

        d.terminate()
        d.start()
        status, listed = call(d, "GET", "/api/v1/saved-queries")
        assert status == 200 and listed["total"] == 1
        kept = listed["saved_queries"][0]
        assert kept["id"] == saved["id"] and kept["query"] == "level:error" and kept["columns"] == q["columns"]
    finally:
        d.cleanup()


def test_damaged_file_is_reported_and_never_overwritten():
    d = make_daemon()
    os.makedirs(d.data_dir, exist_ok=True)
    path = os.path.join(d.data_dir, "saved_queries.json")
    with open(path, "w") as f:
        f.write("{ this is not json")
    d.start()
    try:
        status, body = call(d, "GET", "/api/v1/saved-queries")
        assert status == 500 and "saved_queries.json" in body["error"] and "never overwritten" in body["error"]
        status, body = call(d, "POST", "/api/v1/saved-queries", {"name": "x", "query": "y"})
        assert status == 500
        assert open(path).read() == "{ this is not json"
    finally:
        d.cleanup()


def test_unbuilt_dashboard_page():
    d = Daemon({}, extra_service="  api:\n    static_dir: nodist\n")
    os.makedirs(os.path.join(d.dir, "nodist"))
    d.start()
    try:
        for path in ("/", "/search", "/log/1768831200000000000.20472.17.311"):
            status, body = call(d, "GET", path, token=None)
            assert status == 200 and "dashboard is not built" in body and "scripts/build-web.sh" in body
        status, body = call(d, "GET", "/app.js", token=None)
        assert status == 404
        status, body = call(d, "GET", "/api/v1/nothing", token=None)
        assert status == 404
    finally:
        d.cleanup()
