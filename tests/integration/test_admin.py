"""The admin endpoints, as a client sees them."""
from weirtest import metric, wait_until
import os


def test_health_metrics_status(daemons):
    d = daemons({})
    log = os.path.join(d.dir, "x.log")
    with open(log, "w") as f:
        f.write('{"a":1}\nnot json\n')
    d.write_pipeline("web.yaml", f"""
inputs:
  - type: file
    name: logs
    paths: ["{log}"]
    read_from_head: true
parser:
  type: json
  name: js
outputs:
  - type: null
    name: sink
""")
    d.start()
    status, body = d.request("GET", "/health")
    assert status == 200 and "ok" in body

    wait_until(lambda: metric(d.metrics(), "weir_events_in_total", pipeline="web", kind="output") == 2,
               message="two events at the output")
    m = d.metrics()
    labels = dict(pipeline="web", kind="parser", plugin="json", instance="js")
    assert metric(m, "weir_events_in_total", **labels) == 2
    assert metric(m, "weir_errors_total", reason="parse_error", **labels) == 1
    assert metric(m, "weir_batch_latency_seconds_count", **labels) >= 1
    assert metric(m, "weir_bytes_out_total", pipeline="web", kind="input", instance="logs") == len("{\"a\":1}not json")
    assert ("weir_queue_depth_events", frozenset(dict(pipeline="web", kind="output", plugin="null",
                                                      instance="sink").items())) in m
    st = d.status()
    assert st["abi"] == 1
    [p] = st["pipelines"]
    assert p["name"] == "web"
    kinds = [(s["kind"], s["plugin"], s["name"]) for s in p["stages"]]
    assert kinds == [("input", "file", "logs"), ("parser", "json", "js"), ("output", "null", "sink")]
    names = {pl["name"]: pl for pl in st["plugins"]}
    for n in ("file", "stdin", "json", "stdout", "null"):
        assert n in names and names[n]["abi"] == 1 and names[n]["version"]
    assert st["last_reload"] is None

    status, _ = d.request("GET", "/api/v1/reload")
    assert status == 405
    status, _ = d.request("GET", "/nope")
    assert status == 404
    status, body = d.request("POST", "/api/v1/reload")
    assert status == 200, body
    assert d.status()["last_reload"]["result"] == "success"
    assert d.terminate() == 0
