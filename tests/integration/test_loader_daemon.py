"""Broken plugin files in a plugin folder are refused in one line each; the
daemon keeps running, also across a reload."""
import os
import shutil
import tempfile

from weirtest import BUILD_DIR


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
    assert d.reload_signal()["result"] == "success"
    assert d.alive()
    assert d.terminate() == 0
