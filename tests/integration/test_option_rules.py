"""The option table says what it means, seen from the command line and the
running daemon: allowed values and bounds refused with file:line:col and a
did-you-mean by `weir validate`, the rules shown by `--describe`, and secret
values never printed by validate, --describe, the status API, /metrics or the
daemon's log."""
import json
import os
import subprocess

from weirtest import WEIR_BIN, Daemon

SECRET = "hunter2-do-not-print"


def validate(d):
    return subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True)


def test_validate_positions_allowed_values_and_bounds_without_printing_secrets():
    d = Daemon({"bad.yaml": f"""
inputs:
  - type: stdin
outputs:
  - type: http
    url: http://127.0.0.1:9/v1/logs
    api_key: {SECRET}
    format: ndjsn
    batch_max_events: 0
    request_timeout: 0s
filters:
  - type: redact
    ip_action: hashh
    hash_key: {SECRET}
    detectors: [email, ipv5]
"""})
    try:
        r = validate(d)
        assert r.returncode == 1
        bad = os.path.join(d.pipelines_dir, "bad.yaml")
        err = r.stderr
        assert f"{bad}:8:13: option 'format' of output 'http' expects ndjson or json_array, found 'ndjsn'; " \
               "did you mean 'ndjson'?" in err, err
        assert f"{bad}:9:23: option 'batch_max_events' of output 'http' must be at least 1, found '0'" in err, err
        assert f"{bad}:10:22: option 'request_timeout' of output 'http' must be at least 1ms, found '0s'" in err, err
        assert f"{bad}:13:16: option 'ip_action' of filter 'redact' expects mask or hash, found 'hashh'; " \
               "did you mean 'hash'?" in err, err
        assert f"{bad}:15:24: option 'detectors' of filter 'redact' expects" in err and "did you mean 'ipv4'?" in err
        assert SECRET not in r.stdout + err
    finally:
        d.cleanup()


def test_describe_shows_the_rules_and_hides_secrets():
    r = subprocess.run([WEIR_BIN, "plugins", "--describe", "output/http"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "One of ndjson, json_array." in r.stdout
    assert "At least 1." in r.stdout
    assert "Empty: no Authorization header. Secret: never printed." in r.stdout
    md = subprocess.run([WEIR_BIN, "plugins", "--describe", "output/http", "--markdown"], capture_output=True,
                        text=True).stdout
    assert "| `format` | string | `ndjson` | no | Body: ndjson (one JSON event per line) or json_array. " \
           "One of `ndjson`, `json_array`. |" in md, md


def test_a_running_daemon_never_prints_a_secret():
    d = Daemon({"ship.yaml": f"""
inputs:
  - type: stdin
outputs:
  - type: http
    name: out
    url: http://127.0.0.1:9/v1/logs
    api_key: {SECRET}
    headers: ["X-Token: {SECRET}-header"]
"""})
    try:
        d.start()
        assert SECRET not in json.dumps(d.status())
        status, body = d.request("GET", "/metrics")
        assert status == 200 and SECRET not in body
        assert d.terminate() == 0
        assert SECRET not in d.stderr()
        r = validate(d)
        assert r.returncode == 0, r.stderr
        assert SECRET not in r.stdout + r.stderr
    finally:
        d.cleanup()


def fixture_daemon(pipelines):
    """A daemon that also loads the contract fixtures (a filter with a secret that has a default)."""
    from weirtest import BUILD_DIR
    return Daemon(pipelines, plugin_dirs=[os.path.join(BUILD_DIR, "test-plugins", "contract")])


def test_describe_never_shows_a_secret_default():
    d = fixture_daemon({})
    try:
        for extra in ([], ["--markdown"]):
            r = subprocess.run([WEIR_BIN, "plugins", "--config", d.config, "--describe", "filter/undeclared_read"] + extra,
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            assert "(secret)" in r.stdout and "default-pass-42" not in r.stdout, r.stdout
    finally:
        d.cleanup()


def test_a_refusal_naming_a_secret_is_masked_and_an_undeclared_read_is_logged():
    d = fixture_daemon({"p.yaml": f"""
inputs:
  - type: stdin
filters:
  - type: undeclared_read
    password: {SECRET}
    refuse: true
outputs:
  - type: null
"""})
    try:
        r = validate(d)
        assert r.returncode == 1
        assert "cannot log in with ***" in r.stderr, r.stderr
        assert SECRET not in r.stdout + r.stderr
        assert "plugin bug: it reads option 'colour', which its option table does not declare" in r.stderr, r.stderr
    finally:
        d.cleanup()
