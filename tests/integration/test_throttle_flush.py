"""A throttle window's summary is emitted when the window closes, without
waiting for more events, and the last window's summary at shutdown."""
import os

from weirtest import wait_until

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
filters:
  - type: throttle
    limit: 2
    window: {window}
    key: message
outputs:
  - type: stdout
"""


def summaries(d):
    return [e for e in d.stdout_json() if "throttle_suppressed" in e]


def write_lines(path, n):
    with open(path, "a") as f:
        for i in range(n):
            f.write('{"message":"disk full","seq":%d}\n' % i)


def test_summary_when_the_window_closes_without_more_traffic(daemons):
    d = daemons({})
    log = os.path.join(d.dir, "app.log")
    write_lines(log, 10)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log, window="1s"))
    d.start()
    # No line arrives after the first batch: the summary comes from the
    # host's flush once the 1 s window is over.
    found = wait_until(lambda: summaries(d), timeout=15, message="throttle summary")
    assert [s["throttle_suppressed"] for s in found] == [8], found
    assert found[0]["throttle_key"] == "disk full"
    assert len([e for e in d.stdout_json() if "seq" in e]) == 2
    assert d.terminate() == 0


def test_summary_of_the_open_window_at_shutdown(daemons):
    d = daemons({})
    log = os.path.join(d.dir, "app.log")
    write_lines(log, 10)
    d.write_pipeline("app.yaml", PIPELINE.format(path=log, window="1h"))
    d.start()
    wait_until(lambda: len(d.stdout_json()) >= 2, message="the two lines let through")
    assert summaries(d) == []  # the hour is not over
    assert d.terminate() == 0
    found = summaries(d)
    assert [s["throttle_suppressed"] for s in found] == [8], d.stdout_json()
