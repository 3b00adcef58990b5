"""The query language in the real daemon: drop and keep filters written with
IN, LIKE, nested fields and numbers stored as text select exactly the events
they describe, every drop is counted, and a malformed condition is refused
with its position and a hint."""
import json
import subprocess

from weirtest import WEIR_BIN, Daemon, metric, wait_until

EVENTS = [
    {"level": "ERROR", "message": "db connection timeout", "status_code": 503, "user": {"email": "a@gmail.com"}},
    {"level": "info", "message": "db connection timeout", "status_code": 503},
    {"level": "FATAL", "message": "disk full", "status_code": 500},
    {"level": "error", "message": "Upstream TIMEOUT", "status_code": "504", "user": {"email": "b@Yahoo.com"}},
    {"level": "ERROR", "message": "timeout", "status_code": 200},
    {"level": "Fatal", "message": "timeouts everywhere", "status_code": "502", "user": {"email": "c@example.com"}},
    {"level": "ERROR", "message": "timeout sentinel", "status_code": 599},
]


def pipeline(path, keep, drop):
    return f"""
name: query
inputs:
  - type: file
    name: logs
    paths: [{json.dumps(path)}]
    read_from_head: true
    refresh_interval: 100ms
parser:
  type: json
filters:
  - type: keep
    condition: {json.dumps(keep)}
  - type: drop
    condition: {json.dumps(drop)}
outputs:
  - type: stdout
    format: body
"""


def test_keep_and_drop_with_the_query_language(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    keep = ('level IN ("ERROR", "FATAL") AND message LIKE "%timeout%" '
            'AND status_code IN (500, 502, 503, 504, 599)')
    drop = 'user.email LIKE "%@yahoo.com" OR (user.email NOT EXISTS AND NOT sentinel)'
    d = Daemon({"query.yaml": pipeline(str(log), keep, drop)})
    d.start()
    try:
        wait_until(lambda: "timeout sentinel" in d.stdout_lines(), message="the last event")
        assert d.stdout_lines() == ["db connection timeout", "timeouts everywhere", "timeout sentinel"]
        # keep drops the info event, "disk full" and status 200 ("502" and "504" are
        # numbers stored as text, in the list); drop takes the Yahoo address.
        wait_until(lambda: metric(d.metrics(), "weir_events_dropped_total", reason="filtered") == 4,
                   message="four events counted as filtered")
    finally:
        d.terminate()


def test_a_malformed_condition_is_refused_with_its_position_and_a_hint(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    d = Daemon({"query.yaml": pipeline(str(log), "status_code = ", "level:debug")})
    r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], cwd=d.dir, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert "expected a value after '=' at position 14" in out, out
    assert 'quote text with spaces' in out, out
