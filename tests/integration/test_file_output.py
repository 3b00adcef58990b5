"""The file output in the real daemon: file → json → file delivers every line
exactly once; rotation by size keeps max_files; SIGHUP after an external
rename reopens the path; a templated path splits by a field; a directory that
cannot be created is counted and retried until it can, losing nothing."""
import json
import os
import select
import time

from weirtest import Daemon, metric, wait_until


def pipeline(src, out, extra=""):
    return f"""
name: fileout
inputs:
  - type: file
    paths: [{json.dumps(str(src))}]
    read_from_head: true
    refresh_interval: 50ms
parser:
  type: json
outputs:
  - type: file
    name: out
    path: {json.dumps(str(out))}
{extra}
"""


def events(a, b, service=None):
    out = []
    for i in range(a, b):
        e = {"id": i, "message": f"event {i}"}
        if service:
            e["service"] = service(i)
        out.append(json.dumps(e) + "\n")
    return "".join(out)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l for l in f.read().split("\n") if l]


def ids(lines):
    return [json.loads(l)["id"] for l in lines]


def start(tmp_path, out, extra="", text=""):
    src = tmp_path / "in.log"
    src.write_text(text)
    d = Daemon({"fileout.yaml": pipeline(src, out, extra)})
    d.start()
    return d, src


def delivered(d):
    return metric(d.metrics(), "weir_events_out_total", kind="output")


def test_every_line_arrives_exactly_once(tmp_path):
    out = tmp_path / "out" / "all.log"
    d, src = start(tmp_path, out, text=events(0, 20000))
    try:
        wait_until(lambda: len(read_lines(out)) >= 20000, timeout=120, message="20000 lines in the output file")
        with open(src, "a") as f:
            f.write(events(20000, 25000))
        wait_until(lambda: len(read_lines(out)) >= 25000, timeout=120, message="25000 lines")
        got = ids(read_lines(out))
        assert sorted(got) == list(range(25000))
        first = json.loads(read_lines(out)[0])
        assert first["message"] == "event 0" and "@timestamp" in first
    finally:
        assert d.terminate() == 0
    assert sorted(ids(read_lines(out))) == list(range(25000))  # nothing more at shutdown


def test_rotation_by_size_keeps_max_files(tmp_path):
    out = tmp_path / "app.log"
    d, _ = start(tmp_path, out, "    rotate_size: 64KiB\n    max_files: 3\n", text=events(0, 10000))
    try:
        wait_until(lambda: delivered(d) >= 10000, timeout=120, message="10000 events written")
    finally:
        assert d.terminate() == 0
    kept = [f"{out}.{i}" for i in (3, 2, 1)] + [str(out)]
    for p in kept:
        assert os.path.exists(p), p
        assert os.path.getsize(p) <= 64 * 1024, p
    assert not os.path.exists(f"{out}.4")
    # The kept files hold the newest lines, in order, ending with the last one.
    got = [i for p in kept for i in ids(read_lines(p))]
    assert got == list(range(10000 - len(got), 10000))
    assert len(got) > 3 * 500


def test_sighup_after_an_external_rename_reopens_the_path(tmp_path):
    out = tmp_path / "app.log"
    d, src = start(tmp_path, out, text=events(0, 100))
    try:
        wait_until(lambda: len(read_lines(out)) >= 100, timeout=60, message="first 100 lines")
        os.rename(out, f"{out}.1")  # logrotate's rename, then its postrotate HUP
        d.reload_signal()
        with open(src, "a") as f:
            f.write(events(100, 200))
        wait_until(lambda: len(read_lines(out)) >= 100, timeout=60, message="lines in the reopened file")
        assert ids(read_lines(f"{out}.1")) == list(range(100))
        assert ids(read_lines(out)) == list(range(100, 200))
        assert "reopening the output files" in d.stderr()
    finally:
        assert d.terminate() == 0


def test_a_templated_path_splits_by_field(tmp_path):
    out = tmp_path / "by" / "%Y" / "{service}.log"
    names = ["api", "web", "db"]
    text = events(0, 3000, service=lambda i: names[i % 3]) + json.dumps({"id": 3000}) + "\n"
    d, _ = start(tmp_path, out, "    max_open_files: 2\n", text=text)
    try:
        wait_until(lambda: delivered(d) >= 3001, timeout=60, message="3001 events written")
    finally:
        assert d.terminate() == 0
    year_dirs = os.listdir(tmp_path / "by")
    assert len(year_dirs) == 1 and year_dirs[0].isdigit()
    base = tmp_path / "by" / year_dirs[0]
    for k, name in enumerate(names):
        assert ids(read_lines(base / f"{name}.log")) == list(range(k, 3000, 3))
    assert ids(read_lines(base / "_.log")) == [3000]  # no service field


def test_an_unusable_directory_is_counted_and_retried_not_lost(tmp_path):
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the output directory should be\n")
    out = blocker / "app.log"
    d, _ = start(tmp_path, out, text=events(0, 500))
    try:
        wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="io_error") >= 2, timeout=60,
                   message="failed writes counted and retried")
        assert not os.path.exists(out.parent / "app.log") or blocker.is_file()
        assert "the batch will be retried" in d.stderr()
        os.unlink(blocker)  # the operator fixes it: the next retry goes through
        wait_until(lambda: len(read_lines(out)) >= 500, timeout=120, message="500 lines after the fix")
        assert sorted(ids(read_lines(out))) == list(range(500))
    finally:
        assert d.terminate() == 0
    assert sorted(ids(read_lines(out))) == list(range(500))


def test_a_stalled_output_holds_only_its_own_queue_bound_and_loses_nothing(tmp_path):
    # The output writes into a FIFO nobody reads: its write blocks once the
    # pipe is full, its queue fills to queue.output_max_events, then the work
    # queue fills to queue.max_events and the input stops reading. Reading
    # the FIFO afterwards gets every event, in order.
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the daemon's open succeed at once
    limits = "queue:\n  max_events: 1000\n  output_max_events: 300\nbatch:\n  max_events: 100\n"
    d, _ = start(tmp_path, fifo, limits, text=events(0, 20000))
    try:
        def depths():
            m = d.metrics()
            return (metric(m, "weir_queue_depth_events", kind="parser"),
                    metric(m, "weir_queue_depth_events", kind="output"))
        # The work queue full means the worker waits on a full output queue:
        # 300 events (the gauge may lag one pop behind, at 200).
        wait_until(lambda: depths()[0] == 1000 and 200 <= depths()[1] <= 300, timeout=60,
                   message="both queues full at their own bounds")
        assert depths()[1] <= 300
        assert delivered(d) < 20000
        data = b""
        deadline = time.monotonic() + 60
        while data.count(b"\n") < 20000 and time.monotonic() < deadline:
            try:
                chunk = os.read(reader, 1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk is None:
                select.select([reader], [], [], 0.5)
            else:
                data += chunk
        assert ids([l for l in data.decode().split("\n") if l]) == list(range(20000))
    finally:
        assert d.terminate() == 0
        os.close(reader)
