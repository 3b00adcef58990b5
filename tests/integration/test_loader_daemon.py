"""Broken plugin files in a plugin folder are refused in one line each; the
daemon keeps running, also across a reload."""
import os
import shutil
import subprocess
import tempfile

from weirtest import BUILD_DIR, WEIR_BIN, metric


def test_broken_plugins_are_refused_and_daemon_runs(daemons):
    plugin_dir = tempfile.mkdtemp(prefix="weir-bad-plugins-")
    with open(os.path.join(plugin_dir, "notes.so"), "w") as f:
        f.write("hello, I am not a shared object\n")
    broken = os.path.join(BUILD_DIR, "test-plugins", "broken")
    for so in ("wrong_abi.so", "no_entry.so"):
        if os.path.exists(os.path.join(broken, so)):
            shutil.copy(os.path.join(broken, so), os.path.join(plugin_dir, so))
    d = daemons({"p.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: null\n"}, plugin_dirs=[plugin_dir])
    d.start()
    refused = {os.path.basename(r["path"]): r["message"] for r in d.status()["refused"]}
    assert "notes.so" in refused and "ELF" in refused["notes.so"], refused
    for so in ("wrong_abi.so", "no_entry.so"):
        if os.path.exists(os.path.join(plugin_dir, so)):
            assert so in refused, refused
            assert "\n" not in refused[so]
    assert "refused" in d.stderr()
    # A reload that refuses plugin files succeeds, but says so in its result
    # and warnings, and on /metrics, so an alert on the last reload sees it.
    last = d.reload_signal()
    assert last["result"] == "success_with_warnings", last
    assert any("notes.so" in w and "refused" in w for w in last["warnings"]), last
    assert metric(d.metrics(), "weir_last_reload_warnings") >= 1
    status, result = d.reload_http()
    assert status == 200 and result["result"] == "success_with_warnings", result
    # Once the file is gone, the next reload is a plain success again.
    os.unlink(os.path.join(plugin_dir, "notes.so"))
    for so in ("wrong_abi.so", "no_entry.so"):
        if os.path.exists(os.path.join(plugin_dir, so)):
            os.unlink(os.path.join(plugin_dir, so))
    last = d.reload_signal()
    assert last["result"] == "success" and last["warnings"] == [], last
    assert metric(d.metrics(), "weir_last_reload_warnings") == 0
    assert d.alive()
    assert d.terminate() == 0


def test_plugin_whose_create_fails_is_refused_in_one_line(daemons):
    plugin_dir = tempfile.mkdtemp(prefix="weir-create-fails-")
    shutil.copy(os.path.join(BUILD_DIR, "test-plugins", "good", "fixture_create_fails.so"), plugin_dir)
    bad = "inputs:\n  - type: stdin\nparser:\n  type: fixture_create_fails\noutputs:\n  - type: null\n"
    d = daemons({"ok.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: null\n"}, plugin_dirs=[plugin_dir])

    # weir validate creates every instance, so it sees the refusal.
    d.write_pipeline("bad.yaml", bad)
    r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True)
    assert r.returncode == 1
    line = [l for l in r.stderr.splitlines() if "fixture_create_fails" in l]
    assert len(line) == 1, r.stderr
    assert "bad.yaml:4:3:" in line[0] and "cannot open /nonexistent/db" in line[0], line[0]

    # At startup it stops the daemon with the same line; on reload the running set stays.
    d.remove_pipeline("bad.yaml")
    d.start()
    d.write_pipeline("bad.yaml", bad)
    status, result = d.reload_http()
    assert status == 422
    assert any("cannot open /nonexistent/db" in e for e in result["errors"]), result
    assert [p["name"] for p in d.status()["pipelines"]] == ["ok"]
    assert d.alive()
    assert d.terminate() == 0
