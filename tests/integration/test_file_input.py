"""The file input in the real daemon: rotation by rename and by copytruncate,
truncation, a thousand files, files appearing later, a file deleted while it
is read. No line may be lost or read twice."""
import json
import os
import shutil

from weirtest import Daemon, metric, wait_until


def pipeline(pattern, extra=""):
    return f"""
name: files
inputs:
  - type: file
    name: logs
    paths: [{json.dumps(pattern)}]
    read_from_head: true
    refresh_interval: 100ms
    rotate_wait: 1s
{extra}
outputs:
  - type: stdout
    format: body
"""


def lines(a, b, tag="line"):
    return "".join(f"{tag} {i}\n" for i in range(a, b))


def received(d):
    return d.stdout_lines()


def start(tmp_path, pattern="*.log", extra=""):
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    d = Daemon({"files.yaml": pipeline(str(logs / pattern), extra)})
    d.start()
    return d, logs


def wait_count(d, n, what):
    wait_until(lambda: len(received(d)) >= n, timeout=60, message=what)


def assert_exactly_once(d, expected):
    got = received(d)
    assert sorted(got) == sorted(expected), (
        f"{len(got)} lines for {len(expected)}; missing {sorted(set(expected) - set(got))[:5]}, "
        f"extra {len(got) - len(set(got))}")


def test_rotation_by_rename(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        f = open(app, "a")
        f.write(lines(0, 1000))
        f.flush()
        wait_count(d, 1000, "first lines")
        os.rename(app, logs / "app.log.1")   # logrotate's rename
        f.write(lines(1000, 1100))          # the writer has not reopened yet
        f.flush()
        f.close()
        with open(app, "a") as g:            # then it does
            g.write(lines(1100, 2000))
        wait_count(d, 2000, "lines of both files")
        # The rotated file is released after rotate_wait.
        wait_until(lambda: "released " in d.stderr(), message="rotated file released")
        assert_exactly_once(d, [f"line {i}" for i in range(2000)])
    finally:
        d.cleanup()


def test_rotation_by_copytruncate(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 1000, "old"))
        wait_count(d, 1000, "first lines")
        shutil.copy(app, logs / "app.log.1")  # logrotate's copytruncate
        with open(app, "r+") as f:
            f.truncate(0)
        # The writer (O_APPEND) goes on at once, past the old size before the
        # input even looks: only the first bytes tell the file was rewritten.
        with open(app, "a") as f:
            f.write(lines(0, 3000, "new"))
        wait_count(d, 4000, "old and new lines")
        assert_exactly_once(d, [f"old {i}" for i in range(1000)] + [f"new {i}" for i in range(3000)])
        assert "was truncated" in d.stderr()
    finally:
        d.cleanup()


def test_truncation(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 500, "before"))
        wait_count(d, 500, "first lines")
        with open(app, "w") as f:  # truncate and write less than before
            f.write(lines(0, 10, "after"))
        wait_count(d, 510, "lines after the truncation")
        assert_exactly_once(d, [f"before {i}" for i in range(500)] + [f"after {i}" for i in range(10)])
    finally:
        d.cleanup()


def test_a_thousand_files_appearing_after_start(tmp_path):
    d, logs = start(tmp_path)
    try:
        for i in range(1000):
            with open(logs / f"f{i:04d}.log", "w") as f:
                f.write(f"file {i} line 0\nfile {i} line 1\n")
        wait_count(d, 2000, "two lines of each of 1000 files")
        for i in range(1000):
            with open(logs / f"f{i:04d}.log", "a") as f:
                f.write(f"file {i} line 2\n")
        wait_count(d, 3000, "the appended line of each file")
        assert_exactly_once(d, [f"file {i} line {j}" for i in range(1000) for j in range(3)])
    finally:
        d.cleanup()


def test_file_deleted_while_being_read(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    big = logs / "big.log"
    n = 300_000
    with open(big, "w") as f:
        f.write(lines(0, n))
    d = Daemon({"files.yaml": pipeline(str(logs / "*.log"))})
    try:
        d.start()
        wait_until(lambda: metric(d.metrics(), "weir_events_out_total", kind="input") > 0, message="reading started")
        os.unlink(big)  # deleted mid-way: what was written is still read, to the end
        wait_count(d, n, "every line of the deleted file")
        assert_exactly_once(d, [f"line {i}" for i in range(n)])

        def fd_released():
            fd_dir = f"/proc/{d.proc.pid}/fd"
            for fd in os.listdir(fd_dir):
                try:
                    if os.readlink(os.path.join(fd_dir, fd)).startswith(str(big)):
                        return False
                except FileNotFoundError:
                    pass
            return True
        wait_until(fd_released, message="the deleted file closed")
    finally:
        d.cleanup()


def test_restart_resumes_and_polling_alone_works(tmp_path):
    d, logs = start(tmp_path, extra="    inotify: false\n    poll_interval: 50ms")
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 100))
        wait_count(d, 100, "lines while polling")
        assert d.terminate() == 0
        with open(app, "a") as f:
            f.write(lines(100, 200))
        d.start()
        wait_count(d, 200, "lines after the restart")
        assert_exactly_once(d, [f"line {i}" for i in range(200)])
    finally:
        d.cleanup()


# Rotation while the daemon is stopped: the checkpointed file no longer
# matches the pattern (app.log.1), or is gone, or was emptied in place.

def stop_and_restart(d, logs, while_stopped):
    assert d.terminate() == 0
    while_stopped()
    d.start()


def test_rotation_by_rename_while_stopped(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 100))
        wait_count(d, 100, "lines before the stop")

        def rotate():
            with open(app, "a") as f:
                f.write(lines(100, 1100))       # appended while Weir is down
            os.rename(app, logs / "app.log.1")  # logrotate's rename
            with open(app, "a") as g:            # the application's new file
                g.write(lines(1100, 1600))
        stop_and_restart(d, logs, rotate)
        wait_count(d, 1600, "the rotated file's tail and the new file")
        # Read to its end under its new name, then released after rotate_wait.
        wait_until(lambda: "released " + str(logs / "app.log.1") in d.stderr(), message="app.log.1 released")
        assert_exactly_once(d, [f"line {i}" for i in range(1600)])
        assert "app.log was rotated to " + str(logs / "app.log.1") + " while stopped" in d.stderr()
        assert metric(d.metrics(), "weir_errors_total", reason="file_gone") == 0
    finally:
        d.cleanup()


def test_checkpointed_file_deleted_while_stopped_is_reported(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 100))
        wait_count(d, 100, "lines before the stop")

        def delete():
            with open(app, "a") as f:
                f.write(lines(100, 200))  # never read: deleted before Weir is back
            os.unlink(app)
            with open(logs / "other.log", "w") as f:
                f.write("other 0\n")
        stop_and_restart(d, logs, delete)
        wait_count(d, 101, "the other file")
        wait_until(lambda: metric(d.metrics(), "weir_errors_total", kind="input", reason="file_gone") == 1,
                   message="file_gone counted")
        err = d.stderr()
        assert "level=warn component=input:file:logs" in err
        assert str(app) in err and "is gone" in err and "checkpoint at byte 790" in err, err[-2000:]
        assert_exactly_once(d, [f"line {i}" for i in range(100)] + ["other 0"])
    finally:
        d.cleanup()


def test_copytruncate_while_stopped_reads_the_copy(tmp_path):
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 100, "old"))
        wait_count(d, 100, "lines before the stop")

        def copytruncate():
            with open(app, "a") as f:
                f.write(lines(100, 1100, "old"))
            shutil.copy(app, logs / "app.log.1")
            with open(app, "r+") as f:
                f.truncate(0)
            with open(app, "a") as f:
                f.write(lines(0, 500, "new"))
        stop_and_restart(d, logs, copytruncate)
        wait_count(d, 1600, "the copy's tail and the new lines")
        wait_until(lambda: "released " + str(logs / "app.log.1") in d.stderr(), message="the copy released")
        assert_exactly_once(d, [f"old {i}" for i in range(1100)] + [f"new {i}" for i in range(500)])
        assert metric(d.metrics(), "weir_errors_total", reason="rotated_unread") == 0
    finally:
        d.cleanup()


def test_copytruncate_while_stopped_without_a_copy_loses_the_tail_and_says_so(tmp_path):
    """What copytruncate can still lose: with the copy compressed at once
    (app.log.1.gz), the lines appended after the checkpoint are only in the
    archive. They are reported, and the new content is read whole."""
    d, logs = start(tmp_path)
    try:
        app = logs / "app.log"
        with open(app, "a") as f:
            f.write(lines(0, 100, "old"))
        wait_count(d, 100, "lines before the stop")

        def copytruncate_compress():
            import gzip
            with open(app, "a") as f:
                f.write(lines(100, 1100, "old"))
            with open(app, "rb") as src, gzip.open(logs / "app.log.1.gz", "wb") as dst:
                dst.write(src.read())
            with open(app, "r+") as f:
                f.truncate(0)
            with open(app, "a") as f:
                f.write(lines(0, 500, "new"))
        stop_and_restart(d, logs, copytruncate_compress)
        wait_count(d, 600, "the new lines")
        wait_until(lambda: metric(d.metrics(), "weir_errors_total", kind="input", reason="rotated_unread") == 1,
                   message="rotated_unread counted")
        assert "was truncated or rewritten while stopped" in d.stderr()
        # Lost: old 100..1099 (only in the archive). Kept: everything else, once.
        assert_exactly_once(d, [f"old {i}" for i in range(100)] + [f"new {i}" for i in range(500)])
    finally:
        d.cleanup()


def test_files_created_and_rotated_while_stopped_are_read_whole(tmp_path):
    """Without read_from_head: app.log renamed while down, a new app.log
    written and renamed too, a third one written. The two Weir never saw are
    read whole, the checkpointed one from its checkpoint; an old rotated file
    and a compressed one are left alone."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log.9").write_text("rotated long ago\n")
    d = Daemon({"files.yaml": pipeline(str(logs / "*.log")).replace("read_from_head: true", "read_from_head: false")})
    try:
        d.start()
        app = logs / "app.log"

        def probe_seen():
            with open(app, "a") as f:
                f.write("probe\n")
            return len(received(d)) > 0
        wait_until(probe_seen, interval=0.2, message="app.log followed")
        # Lines of one file arrive in order: once this one is there, all probes are.
        with open(app, "a") as f:
            f.write("last probe\n")
        wait_until(lambda: received(d)[-1:] == ["last probe"], message="the last probe")
        seen = len(received(d))
        with open(app, "a") as f:
            f.write(lines(0, 10, "before"))
        wait_count(d, seen + 10, "lines before the stop")

        def rotate_twice():
            with open(app, "a") as f:
                f.write(lines(0, 100, "tail"))
            os.rename(app, logs / "app.log.1")
            with open(app, "a") as f:
                f.write(lines(0, 200, "unseen"))
            os.rename(logs / "app.log.1", logs / "app.log.2")
            os.rename(app, logs / "app.log.1")
            with open(app, "a") as f:
                f.write(lines(0, 300, "newest"))
            with open(logs / "app.log.3.gz", "wb") as f:
                f.write(b"\x1f\x8b not text\n")
        stop_and_restart(d, logs, rotate_twice)
        wait_count(d, seen + 610, "the tail, the unseen file and the newest one")
        wait_until(lambda: "released " + str(logs / "app.log.1") in d.stderr(), message="app.log.1 released")
        assert "app.log.1 was created and rotated while stopped; reading it whole" in d.stderr()
        got = received(d)[seen:]
        assert sorted(got) == sorted([f"before {i}" for i in range(10)] + [f"tail {i}" for i in range(100)] +
                                     [f"unseen {i}" for i in range(200)] + [f"newest {i}" for i in range(300)])
    finally:
        d.cleanup()
