"""The multiline parser in the real daemon: stack traces joined per file, the
last event of a quiet file released by the flush timeout, and lines held back
when the daemon dies are read again after a restart (never lost)."""
import os

from weirtest import metric, wait_until

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{dir}/logs/*.log"]
    read_from_head: true
parser:
  type: multiline
  preset: java
  flush_timeout: {timeout}
outputs:
  - type: stdout
"""

TRACE = [
    "2026-01-19 10:30:00,123 ERROR [main] com.example.App - request failed",
    "java.lang.IllegalStateException: pool exhausted",
    "\tat com.example.db.Pool.take(Pool.java:88)",
    "\t... 12 more",
]


def messages(d):
    return [e.get("message", "") for e in d.stdout_json()]


def test_traces_join_per_file_and_the_last_event_is_flushed(daemons):
    d = daemons({})
    d.write_pipeline("ml.yaml", PIPELINE.format(dir=d.dir, timeout="300ms"))
    os.makedirs(os.path.join(d.dir, "logs"))
    d.start()
    a, b = os.path.join(d.dir, "logs", "a.log"), os.path.join(d.dir, "logs", "b.log")
    # Interleaved writes to two files: each file's trace stays whole.
    with open(a, "w") as fa, open(b, "w") as fb:
        for line in TRACE:
            fa.write("A " + line + "\n") if line[0] == "2" else fa.write(line + "\n")
            fa.flush()
            fb.write("B " + line + "\n") if line[0] == "2" else fb.write(line + "\n")
            fb.flush()
    wait_until(lambda: len(messages(d)) >= 2, message="both traces, released by the flush timeout")
    got = sorted(messages(d))
    assert got == sorted(["A " + "\n".join(TRACE), "B " + "\n".join(TRACE)]), got
    # A new log line: the previous event was complete already; this one waits
    # for the timeout too.
    with open(a, "a") as fa:
        fa.write("2026-01-19 10:30:05,000 INFO  [main] com.example.App - recovered\n")
    wait_until(lambda: len(messages(d)) >= 3, message="the last line after the timeout")
    assert messages(d)[-1].endswith("recovered")
    assert d.terminate() == 0


def test_held_lines_survive_kill9(daemons):
    d = daemons({})
    d.write_pipeline("ml.yaml", PIPELINE.format(dir=d.dir, timeout="1h"))
    os.makedirs(os.path.join(d.dir, "logs"))
    d.start()
    log = os.path.join(d.dir, "logs", "app.log")
    with open(log, "w") as f:
        f.write("\n".join(TRACE) + "\n")
        f.write("2026-01-19 10:30:01,000 INFO  [main] com.example.App - next\n")
    wait_until(lambda: len(messages(d)) >= 1, message="the complete trace")
    # "next" is held (it may still grow) and its line is not acknowledged:
    # after kill -9 the file is read again from before it.
    wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="output") >= 1, message="delivered")
    d.kill9()
    assert messages(d) == ["\n".join(TRACE)]
    d.write_pipeline("ml.yaml", PIPELINE.format(dir=d.dir, timeout="200ms"))
    d.start()
    wait_until(lambda: any(m.endswith(" - next") for m in messages(d)), message="the held line after the restart")
    assert d.terminate() == 0


def test_stdin_is_one_stream_and_shutdown_releases_the_held_event(daemons):
    r, w = os.pipe()
    d = daemons({"s.yaml": "inputs:\n  - type: stdin\nparser:\n  type: multiline\n  preset: python\n"
                           "  flush_timeout: 1h\noutputs:\n  - type: stdout\n"}, stdin=r)
    d.start()
    os.close(r)
    tb = ["ERROR:root:job failed", "Traceback (most recent call last):", '  File "/app/job.py", line 3, in <module>',
          "    run()", "ZeroDivisionError: division by zero"]
    os.write(w, ("\n".join(tb) + "\nINFO:root:next\n").encode())
    wait_until(lambda: len(messages(d)) >= 1, message="the traceback")
    assert messages(d) == ["\n".join(tb)]
    # The timeout is an hour: only the shutdown's final flush lets "next" out.
    assert d.terminate() == 0
    os.close(w)
    assert messages(d) == ["\n".join(tb), "INFO:root:next"]


MIXED = [
    # a plain INFO line, then the interpreter's traceback of an uncaught exception: two events
    "2023-10-11 22:14:36 INFO ok",
    "Traceback (most recent call last):",
    '  File "/app/job.py", line 3, in <module>',
    "ValueError: bad input",
    # the JVM's report of an uncaught exception after an unrelated line: its own event
    "2023-10-11 22:14:37 DEBUG [main] com.example.App - polling",
    'Exception in thread "main" java.lang.IllegalStateException: boom',
    "\tat com.example.Main.main(Main.java:5)",
    # java.util.logging's two-line records
    "Oct 11, 2023 10:14:38 PM org.example.Foo bar",
    "SEVERE: request failed",
    "java.lang.IllegalStateException: pool exhausted",
    "\tat org.example.Foo.bar(Foo.java:12)",
    "Oct 11, 2023 10:14:39 PM org.example.Foo bar",
    "INFO: recovered",
    # .NET's console logger
    "info: Microsoft.Hosting.Lifetime[14]",
    "      Now listening on: http://localhost:5000",
    "last line",
]


def test_auto_keeps_traces_apart_from_plain_lines_and_joins_two_line_records(daemons):
    d = daemons({})
    d.write_pipeline("ml.yaml", PIPELINE.replace("preset: java", "preset: auto").format(dir=d.dir, timeout="200ms"))
    os.makedirs(os.path.join(d.dir, "logs"))
    with open(os.path.join(d.dir, "logs", "mixed.log"), "w") as f:
        f.write("\n".join(MIXED) + "\n")
    d.start()
    wait_until(lambda: messages(d)[-1:] == ["last line"], message="every event, the last by the flush timeout")
    spans = [(0, 1), (1, 4), (4, 5), (5, 7), (7, 11), (11, 13), (13, 15), (15, 16)]
    assert messages(d) == ["\n".join(MIXED[a:b]) for a, b in spans], messages(d)
    assert d.terminate() == 0
