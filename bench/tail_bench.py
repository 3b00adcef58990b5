#!/usr/bin/env python3
"""Live tail benchmarks (docs/tail.md), printed, never judged:

  latency   a line appended to a file -> received by a tail subscriber, and
            -> returned by search: p50/p99 at the given rates (events/s).
  ingest    events/s into the store with no subscriber and with N active
            WebSocket subscribers (each its own filter).

  --websocket-output: the same latency through a pipeline that does not
            store (a `websocket` output, viewers on /api/v1/live/edge).

Usage: bench/tail_bench.py [--weir build/weir] [--rates 1000,50000] [--seconds 10]
                           [--ingest-events 200000] [--subscribers 100] [--websocket-output]
Everything runs on 127.0.0.1; every loop is bounded in count and time.
"""
import argparse
import json
import os
import select
import socket
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from weirtest import Daemon, metric, parse_metrics, wait_until  # noqa: E402
from wsclient import CLOSE, PING, PONG, TEXT, WebSocket  # noqa: E402

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
    poll_interval: 5ms
parser:
  type: json
outputs:
  - type: store
"""
WEBSOCKET = {"output": "  - type: store\n", "service": "store:\n  sync: false\n", "path": "/api/v1/tail"}


def use_websocket_output():
    WEBSOCKET.update(output="  - type: websocket\n    name: edge\n    buffer_events: 10000\n",
                     service="store:\n  enabled: false\n", path="/api/v1/live/edge")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def start(workdir=None, api=""):
    d = Daemon({}, extra_service=("  api:\n" + api if api else "") + WEBSOCKET["service"])
    log = os.path.join(d.dir, "app.log")
    open(log, "w").close()
    d.write_pipeline("p.yaml", PIPELINE.format(path=log).replace("  - type: store\n", WEBSOCKET["output"]))
    d.start()
    return d, log


def ws_messages(ws, out, stop):
    while not stop.is_set():
        try:
            op, payload = ws.recv_frame()
        except OSError:
            return
        if op == TEXT:
            out(json.loads(payload), time.time_ns())
        elif op == PING:
            ws.send(payload, PONG)
        elif op == CLOSE:
            return


def latency(d, log, rate, seconds):
    """Probe events (1 in 100, at least 20 a second) carry their write time."""
    ws = WebSocket(d.port, WEBSOCKET["path"] + "?q=" + urllib.parse.quote("probe:1"), timeout=60)
    tail_ms, dropped = [], [0]
    stores = WEBSOCKET["path"] == "/api/v1/tail"
    stop = threading.Event()

    def on(m, now):
        if m["type"] == "log":
            tail_ms.append((now - m["data"]["sent_ns"]) / 1e6)
        elif m["type"] == "dropped":
            dropped[0] += m["count"]

    t = threading.Thread(target=ws_messages, args=(ws, on, stop), daemon=True)
    t.start()
    search_ms = []
    probe_every = max(1, min(100, rate // 20))
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    n = 0
    t0 = time.monotonic()
    next_search = t0
    f = open(log, "a")
    pending_search = []
    while time.monotonic() - t0 < seconds:
        lines = []
        for _ in range(per_tick):
            probe = n % probe_every == 0
            ev = {"message": f"event {n} " + "x" * 80, "level": "INFO", "n": n, "sent_ns": time.time_ns()}
            if probe:
                ev["probe"] = 1
            lines.append(json.dumps(ev))
            n += 1
        f.write("\n".join(lines) + "\n")
        f.flush()
        now = time.monotonic()
        if stores and now >= next_search and len(search_ms) < 200:  # a few searches a second for one just written
            pending_search.append((n - 1, time.time_ns()))
            next_search = now + 0.25
        # Poll the oldest pending search target (bounded: 5 s each).
        if pending_search:
            target, sent = pending_search[0]
            st, body = d.request("GET", "/api/v1/logs/search?" + urllib.parse.urlencode(
                {"q": f"n:{target}", "limit": 1, "from": "now-1h"}))
            if st == 200 and json.loads(body)["results"]:
                search_ms.append((time.time_ns() - sent) / 1e6)
                pending_search.pop(0)
            elif (time.time_ns() - sent) > 5e9:
                pending_search.pop(0)
        sleep = t0 + (n / rate) - time.monotonic()
        if sleep > 0:
            time.sleep(sleep)
    f.close()
    achieved = n / (time.monotonic() - t0)
    wait_until(lambda: len(tail_ms) + dropped[0] >= (n + probe_every - 1) // probe_every, timeout=30,
               message="probes received")
    stop.set()
    ws.sock.close()
    return achieved, tail_ms, search_ms, dropped[0]


def ingest(d, log, events, subscribers, stalled=0, follow_all=0):
    """Ingest rate with `subscribers` active ones (read as fast as they can),
    `follow_all` active ones without a filter, and `stalled` ones that
    follow everything and never read."""
    stuck = []
    for _ in range(stalled):
        w = WebSocket(d.port, "/api/v1/tail", timeout=60)
        w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.append(w)
    subs = []
    stop = threading.Event()
    for i in range(subscribers):
        q = urllib.parse.quote(f"level:ERROR AND n:{i}" if i % 2 else f"message:\"event {i}\"")
        subs.append(WebSocket(d.port, "/api/v1/tail?q=" + q, timeout=60))
    subs += [WebSocket(d.port, "/api/v1/tail", timeout=60) for _ in range(follow_all)]
    got = [0]

    def drain():  # one thread reads every subscriber (select), as fast as it can
        socks = {w.sock: w for w in subs}
        while not stop.is_set() and socks:
            r, _, _ = select.select(list(socks), [], [], 0.1)
            for s in r:
                try:
                    data = s.recv(1 << 20)
                except OSError:
                    data = b""
                if not data:
                    socks.pop(s, None)
                got[0] += data.count(b'"type":"log"')

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    before = metric(d.metrics(), "weir_store_events_written_total")
    t0 = time.monotonic()
    with open(log, "a") as f:
        chunk = 10000
        for base in range(0, events, chunk):
            f.write("".join(json.dumps({"message": f"event {base + k} " + "y" * 80, "level":
                                        ["INFO", "ERROR", "WARN"][(base + k) % 3], "n": base + k}) + "\n"
                            for k in range(chunk)))
    wait_until(lambda: metric(d.metrics(), "weir_store_events_written_total") - before >= events, timeout=600,
               interval=0.05, message="ingest")
    took = time.monotonic() - t0
    stop.set()
    for w in subs + stuck:
        w.sock.close()
    return events / took, got[0]


def idle(d, n):
    """Daemon RSS before and after `n` idle WebSocket subscribers."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 1000)), hard))
    before = d.rss_kib()
    subs = [WebSocket(d.port, "/api/v1/tail?q=" + urllib.parse.quote(f"n:{i}"), timeout=60) for i in range(n)]
    wait_until(lambda: metric(d.metrics(), "weir_tail_subscribers") >= n, timeout=120, message="subscribers")
    after = d.rss_kib()
    for w in subs:
        w.sock.close()
    return before, after


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def fanout(d, log, n, rate, seconds):
    """n subscribers, each its own filter (probe:1 AND shard:i%10): every
    probe event (1 in 100) reaches n/10 of them. Latency write -> receipt."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 1000)), hard))
    subs = [WebSocket(d.port, "/api/v1/tail?q=" + urllib.parse.quote(f"probe:1 AND shard:{i % 10}"), timeout=60)
            for i in range(n)]
    wait_until(lambda: metric(d.metrics(), "weir_tail_subscribers") >= n, timeout=120, message="subscribers")
    lat, stop = [], threading.Event()

    def drain():  # epoll: select() stops at 1024 descriptors
        import selectors
        sel = selectors.DefaultSelector()
        bufs = {w.sock: b"" for w in subs}
        for sock in bufs:
            sel.register(sock, selectors.EVENT_READ)
        while not stop.is_set() and bufs:
            ready = sel.select(0.1)
            now = time.time_ns()
            for key, _ in ready:
                s = key.fileobj
                try:
                    data = s.recv(1 << 20)
                except OSError:
                    data = b""
                if not data:
                    bufs.pop(s)
                    sel.unregister(s)
                    continue
                b = bufs[s] + data
                while True:
                    i = b.find(b'"sent_ns":')
                    if i < 0:
                        break
                    j = i + 10
                    k = j
                    while k < len(b) and 48 <= b[k] <= 57:
                        k += 1
                    if k == len(b):
                        break
                    lat.append((now - int(b[j:k])) / 1e6)
                    b = b[k:]
                bufs[s] = b[-64:]

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    rss0, cpu0, t0 = d.rss_kib(), cpu_s(d.proc.pid), time.monotonic()
    k = 0
    with open(log, "a") as f:
        while time.monotonic() - t0 < seconds:
            lines = []
            for _ in range(max(1, rate // 100)):
                ev = {"message": f"event {k}", "n": k, "shard": k % 10, "sent_ns": time.time_ns()}
                if k % 100 == 0:
                    ev["probe"] = 1
                lines.append(json.dumps(ev))
                k += 1
            f.write("\n".join(lines) + "\n")
            f.flush()
            sleep = t0 + k / rate - time.monotonic()
            if sleep > 0:
                time.sleep(sleep)
    took = time.monotonic() - t0
    time.sleep(1)  # let the last probes arrive (a figure, not a test)
    stop.set()
    t.join()
    m = d.metrics()
    print(f"  (written {k}, stored {metric(m, 'weir_store_events_written_total'):.0f}, sent "
          f"{metric(m, 'weir_tail_events_sent_total'):.0f}, dropped " +
          ", ".join(f"{r} {metric(m, 'weir_tail_dropped_total', reason=r):.0f}"
                    for r in ("slow_client", "paused", "rate_limit", "hub_behind")) + ")", flush=True)
    cpu = cpu_s(d.proc.pid) - cpu0
    rss = d.rss_kib()
    for w in subs:
        w.sock.close()
    return k / took, lat, cpu / took, rss0, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weir", default=os.environ.get("WEIR_BIN", "build/weir"))
    ap.add_argument("--rates", default="1000,50000")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--ingest-events", type=int, default=200000)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--idle", type=int, default=0, help="also: memory of this many idle subscribers")
    ap.add_argument("--fanout", type=int, default=0, help="also: this many active subscribers under load")
    ap.add_argument("--fanout-rate", type=int, default=20000)
    ap.add_argument("--stalled", type=int, default=0,
                    help="also: ingest with this many subscribers that never read")
    ap.add_argument("--websocket-output", action="store_true",
                    help="latency only, through a websocket output instead of the store")
    a = ap.parse_args()
    if a.websocket_output:
        use_websocket_output()
        a.fanout = a.idle = a.ingest_events = a.stalled = 0
    import weirtest
    weirtest.WEIR_BIN = os.path.abspath(a.weir)
    for rate in [int(r) for r in a.rates.split(",") if r]:
        d, log = start()
        try:
            achieved, tail_ms, search_ms, dropped = latency(d, log, rate, a.seconds)
            print(f"latency at {rate} events/s (achieved {achieved:.0f}/s, {len(tail_ms)} tail probes, "
                  f"{dropped} dropped, {len(search_ms)} search probes): "
                  f"tail p50 {pct(tail_ms, 50):.1f} ms p99 {pct(tail_ms, 99):.1f} ms; " +
                  (f"search p50 {pct(search_ms, 50):.1f} ms p99 {pct(search_ms, 99):.1f} ms" if search_ms
                   else "no search (nothing stored)"), flush=True)
        finally:
            d.cleanup()
    if a.fanout:
        n = a.fanout
        d, log = start(api=f"    max_connections: {n + 100}\n    max_connections_per_client: {n + 100}\n")
        try:
            achieved, lat, cores, rss0, rss = fanout(d, log, n, a.fanout_rate, a.seconds)
            print(f"{n} subscribers at {a.fanout_rate} events/s (achieved {achieved:.0f}/s): {len(lat)} receipts, "
                  f"p50 {pct(lat, 50):.1f} ms p99 {pct(lat, 99):.1f} ms; daemon CPU {cores:.2f} cores, "
                  f"RSS {rss0 / 1024:.0f} -> {rss / 1024:.0f} MiB", flush=True)
        finally:
            d.cleanup()
    if a.idle:
        n = a.idle
        d, log = start(api=f"    max_connections: {n + 100}\n    max_connections_per_client: {n + 100}\n"
                       f"    tail_max_per_token: 0\n")
        try:
            before, after = idle(d, n)
            print(f"{n} idle subscribers: daemon RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB "
                  f"({(after - before) / n:.1f} KiB each)", flush=True)
        finally:
            d.cleanup()
    for subs in (0, a.subscribers) if a.ingest_events else ():
        api = "    max_connections: 1100\n    max_connections_per_client: 1100\n" if subs else ""
        d, log = start(api=api)
        try:
            rate, got = ingest(d, log, a.ingest_events, subs)
            rss = d.rss_kib()
            print(f"ingest of {a.ingest_events} events with {subs} subscribers: {rate:,.0f} events/s "
                  f"(subscribers received {got} events; daemon RSS {rss / 1024:.0f} MiB)", flush=True)
        finally:
            d.cleanup()
    if a.stalled:
        for stalled in (0, a.stalled):
            d, log = start()
            try:
                rate, got = ingest(d, log, 200000, 0, stalled, follow_all=1)
                m = d.metrics()
                print(f"ingest of 200000 events, one subscriber reading everything ({got} received), "
                      f"with {stalled} stalled subscribers: {rate:,.0f} events/s "
                      f"(dropped for them: {metric(m, 'weir_tail_dropped_total', reason='slow_client'):.0f} "
                      f"slow_client, {metric(m, 'weir_tail_dropped_total', reason='hub_behind'):.0f} hub_behind)",
                      flush=True)
            finally:
                d.cleanup()


if __name__ == "__main__":
    main()
