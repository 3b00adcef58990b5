"""Reloads under load: lines appended while 10 reloads happen (half of them
with invalid YAML) all arrive, the daemon never exits, and the counters of an
unchanged pipeline keep counting."""
import os
import threading
import time

from weirtest import metric, wait_until

CHANGING = """
name: changing
inputs:
  - type: file
    name: a
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
  keep_raw: {keep_raw}
outputs:
  - type: stdout
batch:
  max_events: {batch}
"""

STEADY = """
name: steady
inputs:
  - type: file
    name: b
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: stdout
"""

BROKEN = """
name: changing
inputs:
  - type: file
    paths: ["{path}"
"""

BAD_OPTION = """
name: changing
inputs:
  - type: file
    pathz: ["{path}"]
outputs:
  - type: stdout
"""


def test_reloads_under_load_lose_nothing(daemons):
    d = daemons({})
    a = os.path.join(d.dir, "a.log")
    b = os.path.join(d.dir, "b.log")
    open(a, "w").close()
    open(b, "w").close()
    d.write_pipeline("changing.yaml", CHANGING.format(path=a, keep_raw="false", batch=100))
    d.write_pipeline("steady.yaml", STEADY.format(path=b))
    d.start()

    limit = 200_000  # a bound on the writers, which stop once the reloads are done
    stop = threading.Event()
    written = {}

    def writer(path, tag):
        i = 0
        with open(path, "a") as f:
            while i < limit and not stop.is_set():
                f.write('{"src":"%s","seq":%d}\n' % (tag, i))
                i += 1
                if i % 200 == 0:
                    f.flush()
                    time.sleep(0.005)
        written[tag] = i

    threads = [threading.Thread(target=writer, args=(a, "a")), threading.Thread(target=writer, args=(b, "b"))]
    for t in threads:
        t.start()

    steady_counts = []
    try:
        for i in range(10):
            if i % 2 == 0:
                d.write_pipeline("changing.yaml",
                                 CHANGING.format(path=a, keep_raw="true" if i % 4 == 0 else "false", batch=100 + i))
                expect_ok = True
            else:
                d.write_pipeline("changing.yaml", (BROKEN if i % 4 == 1 else BAD_OPTION).format(path=a))
                expect_ok = False
            if i % 3 == 0:
                status, result = d.reload_http()
                assert status == (200 if expect_ok else 422), result
            else:
                result = d.reload_signal()
            assert (result["result"] == "success") == expect_ok, result
            if expect_ok:
                assert "steady" in result["unchanged"], result
                assert "changing" in result["started"], result
            else:
                assert result["errors"], result
                assert "changing.yaml:" in result["errors"][0], result
            assert d.alive()
            steady_counts.append(metric(d.metrics(), "weir_events_in_total", pipeline="steady", kind="output"))
            time.sleep(0.05)  # let lines flow between reloads
    finally:
        stop.set()
        for t in threads:
            t.join()
    n_a, n_b = written["a"], written["b"]
    assert n_a > 1000 and n_b > 1000, written
    # leave a valid config in place
    d.write_pipeline("changing.yaml", CHANGING.format(path=a, keep_raw="false", batch=100))
    assert d.reload_signal()["result"] == "success"

    def arrived():
        seen = set()
        for e in d.stdout_json():
            seen.add((e["src"], e["seq"]))
        return len(seen) >= n_a + n_b and seen

    seen = wait_until(arrived, timeout=120, message="every line of both files")
    assert seen == {("a", i) for i in range(n_a)} | {("b", i) for i in range(n_b)}
    # The steady pipeline was never restarted: its counters only ever grew.
    assert steady_counts == sorted(steady_counts)
    final = metric(d.metrics(), "weir_events_in_total", pipeline="steady", kind="output")
    assert final == n_b, final  # exactly once: never restarted, never re-read
    st = d.status()
    assert st["reloads"]["failure"] == 5
    assert st["reloads"]["success"] == 6
    assert d.terminate() == 0


def test_invalid_reload_keeps_running_and_reports(daemons):
    d = daemons({"p.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: stdout\n"})
    d.start()
    d.write_pipeline("p.yaml", "inputs:\n  - type: stdin\n    bogus_option: 1\noutputs:\n  - type: stdout\n")
    status, result = d.reload_http()
    assert status == 422
    assert result["result"] == "failure"
    assert any("p.yaml:3:5" in e and "bogus_option" in e for e in result["errors"]), result
    st = d.status()
    assert st["last_reload"]["result"] == "failure"
    assert [p["name"] for p in st["pipelines"]] == ["p"]
    m = d.metrics()
    assert metric(m, "weir_reloads_total", result="failure") == 1
    assert metric(m, "weir_last_reload_success") == 0
    assert "reload rejected" in d.stderr()
    assert d.alive()
