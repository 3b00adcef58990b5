"""The postgres output against a real PostgreSQL server (initdb + postgres on
a free loopback port, see pgserver.py): the created table with its types,
day partitions and indexes; no loss when the server goes away mid-stream;
poison rows isolated and dead-lettered; an existing table with its own
columns; partitions dropped by retention; TimescaleDB detected (and skipped
when absent, as on Debian 12); the password never printed."""
import datetime
import json
import os
import subprocess

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


def seqs(pg, table="logs"):
    return [int(r[0]) for r in pg.psql(f"SELECT attributes->>'seq' FROM {table}")]


def test_server_stopped_mid_stream_loses_nothing(daemons, tmp_path, pg):
    max_rows = 200
    d, src = start(daemons, tmp_path, pg, extra=f"    batch_max_rows: {max_rows}",
                   text="".join(line(i) for i in range(0, 3000)))
    wait_until(lambda: count(pg) > 0, timeout=60, message="the first rows")
    pg.stop("immediate")  # a crash: connections cut, in-flight transactions lost
    append(src, "".join(line(i) for i in range(3000, 6000)))
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="connect_failed") +
               metric(d.metrics(), "weir_errors_total", reason="connection_lost") >= 2, timeout=60,
               message="failed writes while the server is down")
    assert metric(d.metrics(), "weir_events_dropped_total") == 0
    pg.start()
    wait_until(lambda: len(set(seqs(pg))) >= 6000, timeout=120, message="all 6000 events after the restart")
    got = seqs(pg)
    assert set(got) == set(range(6000))
    # Duplicates only from batches whose commit landed but whose answer did not:
    # at most the batches in flight when the server went away (2 connections).
    assert len(got) - 6000 <= 2 * max_rows, len(got) - 6000
    assert "writing to" in d.stderr() and "again after" in d.stderr()
    assert d.terminate() == 0


def test_poison_rows_are_isolated_and_dead_lettered(daemons, tmp_path, pg):
    dead = tmp_path / "dead.ndjson"
    d, src = start(daemons, tmp_path, pg, extra=f"    dead_letter_path: {json.dumps(str(dead))}",
                   text=line(0))
    wait_until(lambda: count(pg) == 1, timeout=60, message="the first row")
    pg.psql("ALTER TABLE logs ADD CONSTRAINT no_poison CHECK (message NOT LIKE '%POISON%')")
    text = ""
    for i in range(1, 1001):
        if i == 137:
            text += line(i, message="POISON here")
        elif i == 500:
            text += line(i, datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc))  # a clock gone wrong
        elif i == 842:
            text += line(i, message="a NUL \u0000 byte")  # UTF-8 text cannot hold it
        else:
            text += line(i)
    append(src, text)
    wait_until(lambda: dead.exists() and len(dead.read_text().splitlines()) >= 3, timeout=60,
               message="three dead letters")
    wait_until(lambda: count(pg) == 998, timeout=60, message="the 997 good rows")
    assert sorted(seqs(pg)) == [s for s in range(0, 1001) if s not in (137, 500, 842)]
    letters = [json.loads(l) for l in dead.read_text().splitlines()]
    by_seq = {l["row"]["attributes"]["seq"]: l for l in letters}
    assert set(by_seq) == {137, 500, 842}
    assert by_seq[500]["sqlstate"] == "23514" and "no partition" in by_seq[500]["error"]
    assert "logs_p21000101" not in partitions(pg)
    assert by_seq[137]["sqlstate"] == "23514" and "no_poison" in by_seq[137]["error"]
    assert by_seq[137]["row"]["message"] == "POISON here" and by_seq[137]["table"] == "logs"
    assert by_seq[842]["sqlstate"] == "22021"
    m = d.metrics()
    assert metric(m, "weir_events_dropped_total", reason="constraint_violation") == 1
    assert metric(m, "weir_events_dropped_total", reason="encoding_error") == 1
    assert metric(m, "weir_events_dropped_total", reason="no_partition") == 1
    # The pipeline went on: later rows arrive too.
    append(src, line(2000))
    wait_until(lambda: count(pg) == 999, timeout=60, message="a row after the poison")
    assert d.terminate() == 0


def test_an_existing_table_with_its_own_columns(daemons, tmp_path, pg):
    pg.psql("CREATE SCHEMA app; CREATE TABLE app.requests (id bigserial PRIMARY KEY, at timestamptz NOT NULL, "
            "lvl text, status integer, user_id bigint, vip boolean, extra jsonb, payload jsonb)")
    dead = tmp_path / "dead.ndjson"
    cols = ("    table: app.requests\n    columns: [at=@timestamp, lvl=level, status=http.status, user_id=user.id, "
            "vip=user.vip, extra=@rest, payload]\n"
            f"    dead_letter_path: {json.dumps(str(dead))}")
    t0 = now_utc().replace(microsecond=0)
    text = line(1, t0, http={"status": 200}, payload="plain text") + \
        line(2, t0, http={"status": 503}, payload={"a": [1, 2]}) + \
        line(3, t0, http={"status": "not a number"})
    d, src = start(daemons, tmp_path, pg, extra=cols, text=text)
    wait_until(lambda: count(pg, "app.requests") == 2 and dead.exists(), timeout=60, message="2 rows and 1 refused")
    rows = pg.psql("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), lvl, status, "
                   "user_id, vip, extra->>'seq', payload::text, extra ? 'http' FROM app.requests ORDER BY user_id")
    assert rows == [[iso(t0), "INFO", "200", "1", "f", "1", '"plain text"', "f"],
                    [iso(t0), "INFO", "503", "2", "t", "2", '{"a": [1, 2]}', "f"]]
    letter = json.loads(dead.read_text().splitlines()[0])
    assert letter["sqlstate"] == "22P02" and letter["row"]["status"] == "not a number"
    assert metric(d.metrics(), "weir_events_dropped_total", reason="invalid_value") == 1
    assert d.terminate() == 0

    # A mapping the table cannot take is refused at start, one sentence per problem.
    bad = daemons({"pg.yaml": pipeline(src, pg, extra="    table: app.requests\n"
                                                     "    columns: [lvl=@timestamp, status=@message, nope=x]")})
    bad.start(wait=False)
    assert bad.proc.wait(timeout=60) == 1  # the configuration has errors: not started
    err = bad.stderr()
    assert "has no column 'nope'" in err
    assert "column 'lvl' is text: @timestamp needs timestamptz" in err
    assert "column 'status' is integer: text needs" in err
    assert "column 'at' of app.requests is NOT NULL without a default" in err


def test_partitions_are_created_ahead_and_dropped_by_retention(daemons, tmp_path, pg):
    now = now_utc()
    old, older = now - datetime.timedelta(days=5), now - datetime.timedelta(days=10)
    text = line(1, older) + line(2, old) + line(3, now)
    d, src = start(daemons, tmp_path, pg, extra="    partitions_ahead: 3", text=text)
    wait_until(lambda: count(pg) == 3, timeout=60, message="3 rows")
    parts = partitions(pg)
    for t in (older, old, now - datetime.timedelta(days=1), now, now + datetime.timedelta(days=3)):
        assert day_name(t) in parts, parts
    assert day_name(now + datetime.timedelta(days=4)) not in parts

    # The same daemon, reloaded with retention: the input goes on where it was.
    d.write_pipeline("pg.yaml", pipeline(src, pg, extra="    retention: 3d\n    maintenance_interval: 100ms"))
    d.reload_signal()
    d2 = d
    wait_until(lambda: day_name(old) not in partitions(pg), timeout=60, message="old partitions dropped")
    parts = partitions(pg)
    assert day_name(older) not in parts and day_name(now) in parts
    assert seqs(pg) == [3]
    assert metric(d2.metrics(), "weir_outcomes_total", outcome="partitions_dropped") == 2
    # An event older than retention is dropped on arrival and counted, not written.
    append(src, line(4, older) + line(5, now))
    wait_until(lambda: count(pg) == 2, timeout=60, message="the new recent row")
    wait_until(lambda: metric(d2.metrics(), "weir_events_dropped_total", reason="older_than_retention") == 1,
               timeout=30, message="the old event counted")
    assert day_name(older) not in partitions(pg)
    assert d2.terminate() == 0

    # A table this output did not create keeps its partitions.
    pg.psql("CREATE TABLE mine (LIKE logs) PARTITION BY RANGE (\"timestamp\"); "
            f"CREATE TABLE mine_p{older.strftime('%Y%m%d')} PARTITION OF mine FOR VALUES FROM "
            f"('{older.strftime('%Y-%m-%d')}') TO ('{(older + datetime.timedelta(days=1)).strftime('%Y-%m-%d')}'); "
            "CREATE TABLE mine_rest PARTITION OF mine DEFAULT")
    d3 = daemons({"pg.yaml": pipeline(src, pg, extra="    table: mine\n    retention: 3d\n"
                                                    "    maintenance_interval: 100ms")})
    d3.start()
    wait_until(lambda: count(pg, "mine") >= 2, timeout=60, message="rows in mine")
    wait_until(lambda: "was not created by this output" in d3.stderr(), timeout=30, message="the warning")
    assert day_name(older, "mine") in partitions(pg, "mine")
    assert d3.terminate() == 0


def test_timescaledb_is_used_when_installed_and_skipped_cleanly_when_absent(daemons, tmp_path, pg):
    available = pg.scalar("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'") != "0"
    if not available:
        # Debian 12 does not package TimescaleDB: the detection path runs (the
        # first test checks its fallback to day partitions); the hypertable
        # path cannot be exercised here.
        d, src = start(daemons, tmp_path, pg, text=line(1))
        wait_until(lambda: count(pg) == 1, timeout=60, message="one row")
        assert "TimescaleDB is not installed" in d.stderr()
        assert pg.scalar("SELECT relkind FROM pg_class WHERE relname = 'logs'") == "p"
        assert d.terminate() == 0
        pytest.skip("TimescaleDB is not installed on this machine (Debian 12 does not package it)")
    pg.psql("CREATE EXTENSION IF NOT EXISTS timescaledb")
    d, src = start(daemons, tmp_path, pg, text=line(1))
    wait_until(lambda: count(pg) == 1, timeout=60, message="one row")
    assert pg.scalar("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'logs'") == "1"
    assert d.terminate() == 0


def test_a_dropped_table_is_created_again(daemons, tmp_path, pg):
    d, src = start(daemons, tmp_path, pg, text=line(1))
    wait_until(lambda: count(pg) == 1, timeout=60, message="the first row")
    pg.psql("DROP TABLE logs")
    append(src, line(2) + line(3))
    wait_until(lambda: count(pg) == 2, timeout=60, message="rows in the table made again")
    assert sorted(seqs(pg)) == [2, 3]
    assert "setting it up again" in d.stderr()
    assert pg.scalar("SELECT relkind FROM pg_class WHERE relname = 'logs'") == "p"
    assert d.terminate() == 0


def test_tls_with_sslmode_require(daemons, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    key, cert = certs / "server.key", certs / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = pgserver.PgServer()
    try:
        for f in (key, cert):  # the server reads them as its own user; the key private to it
            dest = os.path.join(server.dir, f.name)
            with open(f, "rb") as a, open(dest, "wb") as b:
                b.write(a.read())
            os.chmod(dest, 0o600)
            if server.as_user:
                os.chown(dest, server.as_user["user"], server.as_user["group"])
        server.settings = ["ssl=on", f"ssl_cert_file={server.dir}/server.crt", f"ssl_key_file={server.dir}/server.key"]
        server.start()
        d, src = start(daemons, tmp_path, server, extra="    sslmode: require", text=line(1))
        wait_until(lambda: count(server) == 1, timeout=60, message="a row over TLS")
        def weir_connections(ssl):
            return int(server.scalar("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid "
                                     f"WHERE a.application_name = 'weir' AND s.ssl = {ssl}"))
        # The output's connections are encrypted.
        assert weir_connections("true") >= 1 and weir_connections("false") == 0
        assert d.terminate() == 0
        # And sslmode is what decides it: disable gives plain connections to the same server.
        d2 = daemons({"pg.yaml": pipeline(src, server, extra="    sslmode: disable")})
        d2.start()
        append(src, line(2))
        wait_until(lambda: count(server) >= 2, timeout=60, message="a row without TLS")
        wait_until(lambda: weir_connections("false") >= 1, timeout=30, message="a plain connection")
        assert weir_connections("true") == 0
        assert d2.terminate() == 0
    finally:
        server.cleanup()


def test_a_daemon_stopped_during_an_outage_reads_the_rest_again(daemons, tmp_path, pg):
    src = tmp_path / "in.log"
    src.write_text("".join(line(i) for i in range(0, 100)))
    d = daemons({"pg.yaml": pipeline(src, pg)}, extra_service="  shutdown_timeout: 2s\n")
    d.start()
    wait_until(lambda: count(pg) == 100, timeout=60, message="100 rows")
    pg.stop("fast")
    append(src, "".join(line(i) for i in range(100, 200)))
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="connect_failed") +
               metric(d.metrics(), "weir_errors_total", reason="connection_lost") >= 1, timeout=60,
               message="failed writes while the server is down")
    # Nothing blocks the shutdown: the output gives the unwritten batches back.
    assert d.terminate(timeout=60) == 0
    assert "leaving it behind" not in d.stderr()
    pg.start()
    again = daemons({"pg.yaml": pipeline(src, pg)}, workdir=d.dir, extra_service="  shutdown_timeout: 2s\n")
    again.start()
    wait_until(lambda: len(set(seqs(pg))) == 200, timeout=60, message="the 100 unwritten rows after the restart")
    assert set(seqs(pg)) == set(range(200))
    assert again.terminate() == 0
