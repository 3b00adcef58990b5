"""`weir test`: the tests: sections of pipeline files, run without inputs or outputs."""
import os
import subprocess
import tempfile

from weirtest import SOURCE_DIR, WEIR_BIN


def weir_test(*args, cwd=None):
    return subprocess.run([WEIR_BIN, "test", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_the_repository_pipelines_pass():
    r = weir_test("--config", os.path.join(SOURCE_DIR, "weir.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    assert "ok    a combined line" in r.stdout


def write(text):
    d = tempfile.mkdtemp(prefix="weir-test-cmd-")
    path = os.path.join(d, "p.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


PIPELINE = """inputs:
  - type: stdin
parser:
  type: logfmt
outputs:
  - type: null
tests:
  - name: typed values
    input: 'user=alice status=200 msg="login ok"'
    expect: {user: alice, status: 200, message: login ok, missing: absent}
  - name: this one is wrong on purpose
    input: 'user=bob status=500'
    expect:
      user: alice
      status: "500"
      level: warn
"""


def test_failures_show_a_readable_diff_and_exit_non_zero():
    path = write(PIPELINE)
    r = weir_test(path)
    assert r.returncode == 1
    out = r.stdout
    assert "ok    typed values" in out
    assert f"FAIL  this one is wrong on purpose ({path}:11:5)" in out
    assert "user: expected alice, got \"bob\" (a string)" in out
    assert "level: expected warn, got absent" in out
    assert "status:" not in out.split("FAIL")[1]  # 500 matches "500": numbers compare by value
    assert "1 passed, 1 failed" in out


def test_a_broken_tests_section_is_a_positioned_error():
    path = write(PIPELINE.replace("    input: 'user=alice", "    inptu: 'user=alice"))
    r = weir_test(path)
    assert r.returncode == 1
    assert f"{path}:9:5: unknown key 'inptu' in a test case" in r.stderr, r.stderr
