"""Aggregates from the store's per-minute rollups through the HTTP API: the
answers equal what the events say, and each says which path answered and
whether it is exact."""
import collections
import json
import math
import urllib.parse

from test_store import aggregate, make_events, start_with


def minute_of(ts):
    return ts[:16]  # "2026-01-19T10:37"


def test_counts_percentiles_templates_and_unique_from_rollups(daemons):
    events = make_events(3000)
    d, _ = start_with(daemons, events)

    # Counts by level per minute over all time: from the rollups, exact.
    r = aggregate(d, group_by="level", interval="1m", limit=100)
    assert r["stats"]["path"] == "rollup" and r["exact"] is True
    assert r["stats"]["rollup_minutes"] > 0
    want = collections.Counter((minute_of(e["timestamp"]), e["level"]) for e in events)
    got = collections.Counter()
    for row in r["results"]:
        got[(row["time"][:16], row["group"]["level"])] += row["count"]
    assert got == want

    # A condition on level only: still the rollups; over a range with partial
    # minutes at both ends (those come from blocks).
    lo, hi = "2026-01-19T03:00:30Z", "2026-01-19T20:10:15Z"
    r = aggregate(d, q="level:ERROR OR level:WARN", group_by="service", **{"from": lo, "to": hi})
    assert r["stats"]["path"] == "rollup" and r["exact"] is True
    want = collections.Counter(e["service"] for e in events if e["level"] in ("ERROR", "WARN")
                               and "2026-01-19T03:00:30" <= e["timestamp"][:19] <= "2026-01-19T20:10:15")
    assert {row["group"]["service"]: row["count"] for row in r["results"]} == dict(want)

    # p95 of latency_ms: from the sketch, within 1 %, and says so; exact=true scans.
    values = sorted(e["latency_ms"] for e in events)
    exact_p95 = values[math.ceil(0.95 * len(values)) - 1]
    r = aggregate(d, metric="p95", field="latency_ms")
    assert r["stats"]["path"] == "rollup" and r["exact"] is False and r["relative_error"] == 0.01
    assert abs(r["results"][0]["value"] - exact_p95) <= 0.01 * exact_p95
    r = aggregate(d, metric="p95", field="latency_ms", exact="true")
    assert r["exact"] is True and r["stats"]["path"] != "rollup"
    assert r["results"][0]["value"] == exact_p95
    r = aggregate(d, metric="p99.9", field="latency_ms", exact="true")
    assert r["results"][0]["value"] == values[math.ceil(0.999 * len(values)) - 1]

    # Top messages by template: numbers masked, exact from the rollups.
    r = aggregate(d, group_by="template", limit=3)
    assert r["stats"]["path"] == "rollup" and r["exact"] is True
    top = {row["group"]["template"]: row["count"] for row in r["results"]}
    ok = sum(1 for e in events if e["message"].endswith(" ok"))
    assert top["request <n> ok"] == ok

    # unique(service): not a rollup field, so counted exactly by a scan.
    r = aggregate(d, metric="unique(service)")
    assert r["field"] == "service" and r["results"][0]["value"] == 3 and r["exact"] is True

    # stddev, by a scan.
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    r = aggregate(d, metric="stddev", field="latency_ms")
    assert abs(r["results"][0]["value"] - sd) < 1e-6 * sd

    # Bad parameters: a clear 400 naming the parameter.
    for params, name in (({"metric": "p0"}, "metric"), ({"metric": "median", "field": "x"}, "metric"),
                         ({"metric": "p95"}, "field"), ({"metric": "count", "exact": "maybe"}, "exact")):
        status, body = d.request("GET", "/api/v1/logs/aggregate?" + urllib.parse.urlencode(params))
        assert status == 400, (params, status, body)
        assert json.loads(body)["param"] == name
