"""weir validate / plugins / version from the command line."""
import os
import subprocess
import tempfile

from weirtest import WEIR_BIN


def weir(*args, cwd=None):
    return subprocess.run([WEIR_BIN, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def make_config(pipelines):
    d = tempfile.mkdtemp(prefix="weir-cli-")
    os.makedirs(os.path.join(d, "pipelines"))
    with open(os.path.join(d, "weir.yaml"), "w") as f:
        f.write("service:\n  admin_listen: 127.0.0.1:0\n  data_dir: ./data\n")
    for name, text in pipelines.items():
        with open(os.path.join(d, "pipelines", name), "w") as f:
            f.write(text)
    return os.path.join(d, "weir.yaml")


def test_validate_accepts_a_good_config():
    cfg = make_config({"ok.yaml": "inputs:\n  - type: stdin\nparser:\n  type: json\noutputs:\n  - type: stdout\n"})
    r = weir("validate", "--config", cfg)
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout
    assert not os.path.exists(os.path.join(os.path.dirname(cfg), "data", "state")), "validate started something"


def test_validate_reports_every_error_with_position():
    cfg = make_config({
        "a.yaml": "inputs:\n  - type: file\n    pathz: [x]\noutputs:\n  - type: stdout\n",
        "b.yaml": "inputs:\n  - type: stdin\nparser:\n  type: jsn\noutputs:\n  - type: stdout\n",
    })
    r = weir("validate", "--config", cfg)
    assert r.returncode == 1
    assert "a.yaml:3:5:" in r.stderr and "did you mean 'paths'?" in r.stderr, r.stderr
    assert "b.yaml:4:9:" in r.stderr and "did you mean 'json'?" in r.stderr, r.stderr


def test_validate_runs_plugin_create():
    # A plugin's own check (the file output's format text needs a template) is part of validation.
    cfg = make_config({"a.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: file\n    path: /tmp/weir-cli.log\n"
                                 "    format: text\n"})
    r = weir("validate", "--config", cfg)
    assert r.returncode == 1
    assert "a.yaml:4:5:" in r.stderr and "format text needs a template" in r.stderr, r.stderr


def test_validate_checks_allowed_values_at_the_value():
    # stdout's format must be json or body: the option table says so, and the host checks it.
    cfg = make_config({"a.yaml": "inputs:\n  - type: stdin\noutputs:\n  - type: stdout\n    format: yaml\n"})
    r = weir("validate", "--config", cfg)
    assert r.returncode == 1
    assert "a.yaml:5:13: option 'format' of output 'stdout' expects json or body, found 'yaml'" in r.stderr, r.stderr


def test_run_refuses_invalid_config_with_exit_1():
    cfg = make_config({"a.yaml": "inputs: [\n"})
    r = weir("run", "--config", cfg)
    assert r.returncode == 1
    assert "a.yaml:" in r.stderr


def test_plugins_list_and_describe():
    r = weir("plugins")
    assert r.returncode == 0
    for name in ("stdin", "file", "json", "stdout", "null"):
        assert f" {name} " in r.stdout, r.stdout
    r = weir("plugins", "--describe", "input/file")
    assert r.returncode == 0
    assert "paths" in r.stdout and "read_from_head" in r.stdout
    # An input and an output are both called file: the bare name is refused.
    r = weir("plugins", "--describe", "file")
    assert r.returncode == 1 and "input/file" in r.stderr and "output/file" in r.stderr, r.stderr
    r = weir("plugins", "--describe", "json")  # unique: the kind may be left out
    assert r.returncode == 0 and "(parser)" in r.stdout
    r = weir("plugins", "--describe", "nosuch")
    assert r.returncode == 1


def test_version():
    r = weir("version")
    assert r.returncode == 0 and "plugin ABI 1" in r.stdout
