"""Memory taken by a burst of hostile input is given back once the daemon is
quiet (pooled batches freed, the heap trimmed)."""
import json
import os
import random
import socket
import threading

import pytest

from weirtest import metric, wait_until

PIPELINE = """
inputs:
  - type: tcp
    name: burst
    listen: 127.0.0.1:0
parser:
  type: json
outputs:
  - type: null
"""


@pytest.mark.skipif(os.environ.get("WEIR_SANITIZED") in ("1", "ON", "TRUE", "true"),
                    reason="sanitizer allocators keep freed memory in quarantine")
def test_rss_returns_after_a_burst_of_wide_records(daemons):
    d = daemons({"burst.yaml": PIPELINE})
    d.start()
    port = d.listen_port("burst")
    wait_until(lambda: d.rss_kib() > 0, message="daemon RSS")
    before = d.rss_kib()

    # 100 connections at once, each with 50 records of up to 300 fields of up
    # to 2 KB: batches and the heap grow far beyond steady state.
    rnd = random.Random(7)
    payloads = []
    for _ in range(100):
        payloads.append("".join(
            json.dumps({"k%d" % j: "v" * rnd.randint(1, 2000) for j in range(rnd.randint(1, 300))}) + "\n"
            for _ in range(50)).encode())

    def send(p):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(p)

    threads = [threading.Thread(target=send, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    total = 100 * 50
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="output") >= total, timeout=120,
               message="the burst delivered")
    peak = d.peak_rss_kib()
    assert peak > before + 20 * 1024, (before, peak)  # the burst really took memory
    # Quiet now: within an idle check or two most of the memory goes back
    # (at least two thirds of the growth; what stays is fragmentation around
    # live allocations). Without the trim RSS stays near the peak.
    target = before + (peak - before) // 3
    try:
        wait_until(lambda: d.rss_kib() < target, timeout=60, interval=0.5,
                   message=f"RSS back near {before} KiB (peak {peak} KiB)")
    except AssertionError:
        trims = [l for l in d.stderr().splitlines() if "trimmed" in l]
        raise AssertionError(f"RSS {d.rss_kib()} KiB, before {before}, peak {peak}; trims: {trims}")
    assert "trimmed the heap" in d.stderr()
    assert d.terminate() == 0
