"""SIGTERM drains: everything read is written before the daemon exits 0."""
import os
import subprocess

from weirtest import metric, wait_until

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: stdout
"""


def test_sigterm_writes_everything_read(daemons):
    d = daemons({})
    log = os.path.join(d.dir, "app.log")
    n = 50_000
    with open(log, "w") as f:
        for i in range(n):
            f.write('{"seq":%d,"message":"line %d"}\n' % (i, i))
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    d.start()
    # Wait until the input has read every line; then stop at once.
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="input", pipeline="app") >= n,
               message="input read all lines")
    assert d.terminate() == 0
    seqs = sorted(e["seq"] for e in d.stdout_json())
    assert seqs == list(range(n))
    assert "stopped, drained" in d.stderr()


def test_sigterm_with_stdin_input(daemons):
    r, w = os.pipe()
    d = daemons({"s.yaml": "inputs:\n  - type: stdin\nparser:\n  type: json\noutputs:\n  - type: stdout\n"},
                stdin=r)
    d.start()
    os.close(r)
    n = 5000
    payload = "".join('{"seq":%d}\n' % i for i in range(n)).encode()
    os.write(w, payload)
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="output") >= n, message="stdout wrote all")
    assert d.terminate() == 0
    os.close(w)
    assert sorted(e["seq"] for e in d.stdout_json()) == list(range(n))


def test_second_sigterm_exits_at_once(daemons):
    # An output that can never deliver keeps the drain waiting; the second
    # SIGTERM must end the process without waiting for the drain deadline.
    r, w = os.pipe()
    d = daemons({"s.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: stdout\n"}, stdin=r)
    d.start()
    os.close(r)
    d.proc.send_signal(15)
    d.proc.send_signal(15)
    rc = d.proc.wait(timeout=20)
    os.close(w)
    assert rc in (0, 1)
