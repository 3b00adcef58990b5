"""Named time zones in the real daemon: zone-less syslog times read as Berlin
wall time across both changes of 2026, a time zone changed by a reload, and
an unknown zone name refused with its position, the option and a hint."""
import os
import subprocess

from weirtest import WEIR_BIN, wait_until

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{dir}/logs/*.log"]
    read_from_head: true
parser:
  type: syslog
  timezone: {zone}
outputs:
  - type: stdout
"""

# RFC 5424 lines of a sender that leaves the offset out.
LINES = [
    ("<14>1 2026-03-29T01:59:59 host app - - - last of winter", "2026-03-29T00:59:59.000000000Z"),
    ("<14>1 2026-03-29T02:30:00 host app - - - skipped hour", "2026-03-29T01:30:00.000000000Z"),
    ("<14>1 2026-03-29T03:00:00 host app - - - summer", "2026-03-29T01:00:00.000000000Z"),
    ("<14>1 2026-10-25T02:30:00 host app - - - repeated hour", "2026-10-25T00:30:00.000000000Z"),
    ("<14>1 2026-10-25T03:00:00 host app - - - winter again", "2026-10-25T02:00:00.000000000Z"),
    ("<14>1 2026-07-01T12:00:00Z host app - - - own zone", "2026-07-01T12:00:00.000000000Z"),
]


def times(d):
    return {e["message"]: e["@timestamp"] for e in d.stdout_json() if "message" in e}


def test_zone_less_times_follow_berlin_daylight_saving(daemons):
    d = daemons({})
    d.write_pipeline("tz.yaml", PIPELINE.format(dir=d.dir, zone="Europe/Berlin"))
    os.makedirs(os.path.join(d.dir, "logs"))
    with open(os.path.join(d.dir, "logs", "a.log"), "w") as f:
        f.write("".join(line + "\n" for line, _ in LINES))
    d.start()
    wait_until(lambda: len(times(d)) >= len(LINES), message="every line")
    got = times(d)
    for line, want in LINES:
        message = line.split(" - - - ")[1]
        assert got[message] == want, (message, got[message])
    # A reload to another zone applies to lines read after it.
    d.write_pipeline("tz.yaml", PIPELINE.format(dir=d.dir, zone="America/New_York"))
    assert "success" in str(d.reload_signal())
    with open(os.path.join(d.dir, "logs", "a.log"), "a") as f:
        f.write("<14>1 2026-07-04T12:00:00 host app - - - new york noon\n")
    wait_until(lambda: "new york noon" in times(d), message="the line after the reload")
    assert times(d)["new york noon"] == "2026-07-04T16:00:00.000000000Z"
    assert d.terminate() == 0


def test_an_unknown_zone_is_a_positioned_config_error(daemons):
    d = daemons({})
    d.write_pipeline("tz.yaml", PIPELINE.format(dir=d.dir, zone="Europe/Berlinn"))
    r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True, timeout=60,
                       cwd=d.dir)
    assert r.returncode == 1
    assert "tz.yaml:8:3:" in r.stderr, r.stderr
    assert "timezone: unknown time zone 'Europe/Berlinn'" in r.stderr, r.stderr
    assert "Europe/Berlin or America/New_York" in r.stderr, r.stderr
    # The wrong case of a real name: the spelling that exists is suggested.
    d.write_pipeline("tz.yaml", PIPELINE.format(dir=d.dir, zone="europe/berlin"))
    r = subprocess.run([WEIR_BIN, "validate", "--config", d.config], capture_output=True, text=True, timeout=60,
                       cwd=d.dir)
    assert r.returncode == 1
    assert "did you mean 'Europe/Berlin'?" in r.stderr, r.stderr
