"""Alert rules end to end: a real daemon stores what a file brings, evaluates
rules from its alerts folder, and posts to a webhook receiver started here."""
import datetime
import json
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from weirtest import metric, wait_until

PIPELINE = """
inputs:
  - type: file
    name: app
    paths: ["{path}"]
    read_from_head: true
parser:
  type: json
outputs:
  - type: store
batch:
  max_events: 100
"""

RULES = """
group: payments
interval: 1s
rules:
  - name: payment-errors
    query: 'level:ERROR AND service:payment'
    window: 4s
    condition: count > 2
    labels: {{severity: page}}
    notify:
      - webhook: http://127.0.0.1:{port}/hook
        retries: 5
      - webhook: http://127.0.0.1:{port}/slack
        format: slack
        text: "[{{state}}] {{rule}} {{value}}"
"""


class Receiver:
    """A webhook receiver on loopback; answers 500 to the first `fail_first` posts."""

    def __init__(self, fail_first=0, tls_dir=None):
        self.posts = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    fail = receiver.fail_first > 0
                    if fail:
                        receiver.fail_first -= 1
                    else:
                        receiver.posts.append((self.path, json.loads(body)))
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls_dir:  # a certificate for the name "localhost", signed by itself
            self.cert = os.path.join(tls_dir, "hook.crt")
            key = os.path.join(tls_dir, "hook.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost", "-days", "1", "-keyout", key,
                            "-out", self.cert], check=True, capture_output=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, path):
        with self.lock:
            return [b for p, b in self.posts if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(path, events):
    with open(path, "a") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def errors(n, service="payment"):
    return [{"timestamp": now_iso(), "level": "ERROR", "service": service, "message": "card declined %d" % i}
            for i in range(n)]


def start(daemons, receiver, rules=RULES):
    d = daemons({})
    log = os.path.join(d.dir, "app.log")
    open(log, "w").close()
    d.write_pipeline("app.yaml", PIPELINE.format(path=log))
    os.makedirs(os.path.join(d.dir, "alerts"))
    with open(os.path.join(d.dir, "alerts", "payments.yaml"), "w") as f:
        f.write(rules.format(port=receiver.port))
    d.start()
    return d, log


def rule_state(d):
    return d.get_json("/api/v1/alerts")["groups"][0]["rules"][0]


def test_a_rule_fires_within_its_window_and_resolves(daemons):
    receiver = Receiver()
    try:
        d, log = start(daemons, receiver)
        assert rule_state(d)["state"] == "inactive"
        append(log, errors(2) + errors(5, service="checkout"))  # not enough of the right kind
        wait_until(lambda: (metric(d.metrics(), "weir_store_events") or 0) >= 7, message="stored")
        wait_until(lambda: rule_state(d)["evaluations"] >= 3, message="evaluated after the events were stored")
        assert rule_state(d)["state"] == "inactive" and receiver.bodies("/hook") == []

        append(log, errors(3))
        # Within its window plus one evaluation interval (and the store's commit).
        wait_until(lambda: receiver.bodies("/hook"), timeout=4 + 1 + 5, message="firing notification")
        firing = receiver.bodies("/hook")[0]
        assert firing["state"] == "firing"
        assert firing["group"] == "payments" and firing["rule"] == "payment-errors"
        assert firing["value"] == 5
        assert firing["condition"] == "count > 2"
        assert firing["labels"] == {"severity": "page"}
        assert 1 <= len(firing["samples"]) <= 5
        assert all(s["service"] == "payment" and s["level"] == "ERROR" for s in firing["samples"])
        assert "/api/v1/logs/search?q=level%3AERROR" in firing["link"]
        wait_until(lambda: receiver.bodies("/slack"), message="slack notification")
        assert receiver.bodies("/slack")[0] == {"text": "[FIRING] payment-errors 5"}
        assert rule_state(d)["state"] == "firing"
        m = d.metrics()
        assert metric(m, "weir_alert_firing") == 1
        assert metric(m, "weir_alert_state", group="payments", rule="payment-errors") == 2

        # Nothing new: the errors leave the 4 s window and the rule resolves.
        wait_until(lambda: len(receiver.bodies("/hook")) >= 2, timeout=4 + 1 + 10, message="resolved notification")
        resolved = receiver.bodies("/hook")[1]
        assert resolved["state"] == "resolved" and resolved["value"] == 0
        status = d.get_json("/api/v1/alerts")
        assert status["groups"][0]["rules"][0]["state"] == "inactive"
        changes = [(h["from"], h["to"]) for h in status["history"]]
        assert changes[:2] == [("firing", "inactive"), ("inactive", "firing")]
        assert "rule payments/payment-errors firing: count > 2 (value 5, window 4s)" in d.stderr()
        assert "rule payments/payment-errors resolved" in d.stderr()
        m = d.metrics()
        assert metric(m, "weir_alert_notifications_total", result="sent") >= 4
        assert metric(m, "weir_alert_notifications_total", result="failed") == 0
        assert d.terminate() == 0
    finally:
        receiver.close()


def test_a_failing_receiver_is_retried(daemons):
    receiver = Receiver(fail_first=2)
    try:
        rules = RULES.replace("      - webhook: http://127.0.0.1:{port}/slack\n        format: slack\n"
                              "        text: \"[{{state}}] {{rule}} {{value}}\"\n", "")
        d, log = start(daemons, receiver, rules)
        append(log, errors(4))
        # Two refusals, retried after 1 s and 2 s: the third attempt lands.
        wait_until(lambda: receiver.bodies("/hook"), timeout=30, message="delivery after retries")
        assert receiver.bodies("/hook")[0]["state"] == "firing"
        m = d.metrics()
        assert metric(m, "weir_alert_notifications_total", result="retried") == 2
        assert metric(m, "weir_alert_notifications_total", result="sent") >= 1
        assert "HTTP 500; retry 1 in 1000ms" in d.stderr()
        assert d.terminate() == 0
    finally:
        receiver.close()


def test_a_broken_rule_file_is_refused_with_its_position_and_the_old_rules_stay(daemons):
    receiver = Receiver()
    try:
        d, log = start(daemons, receiver)
        path = os.path.join(d.dir, "alerts", "payments.yaml")
        with open(path, "w") as f:
            f.write("rules:\n  - name: x\n    condition: count >> 1\n")
        result = d.reload_signal()
        assert result["result"] == "failure"
        assert any("payments.yaml:3:16: condition expects a number after '>'" in e for e in result["errors"]), result
        assert rule_state(d)["name"] == "payment-errors"  # unchanged
        append(log, errors(3))
        wait_until(lambda: receiver.bodies("/hook"), timeout=15, message="the old rule still fires")

        # A valid change is taken on SIGHUP.
        with open(path, "w") as f:
            f.write("group: other\nrules:\n  - {name: quiet, condition: count < 1, window: 2s}\n")
        assert d.reload_signal()["result"] == "success"
        assert d.get_json("/api/v1/alerts")["groups"][0]["name"] == "other"
        assert d.terminate() == 0

        # At start, the same error stops the daemon with its position.
        with open(path, "w") as f:
            f.write("rules:\n  - name: x\n    condition: count >> 1\n")
        d.start(wait=False)
        assert d.proc.wait(timeout=60) == 1
        assert "payments.yaml:3:16: condition expects a number after '>'" in d.stderr()
    finally:
        receiver.close()


def test_https_webhook_by_name_with_its_ca(daemons, tmp_path):
    """An https:// webhook addressed by name: resolved, its certificate checked
    against ca_file and the name. A receiver whose certificate is not trusted
    (no ca_file: the system's CAs) fails with the reason."""
    receiver = Receiver(tls_dir=str(tmp_path))
    try:
        rules = RULES.replace("http://127.0.0.1:{port}/hook\n",
                              "https://localhost:{port}/hook\n        ca_file: " + receiver.cert + "\n")
        rules = rules.replace("http://127.0.0.1:{port}/slack", "https://localhost:{port}/slack")
        rules = rules.replace("        format: slack\n", "        format: slack\n        retries: 0\n")
        d, log = start(daemons, receiver, rules)
        append(log, errors(3))
        wait_until(lambda: receiver.bodies("/hook"), timeout=20, message="firing over https")
        assert receiver.bodies("/hook")[0]["state"] == "firing"
        wait_until(lambda: "failed for good" in d.stderr(), timeout=20, message="the untrusted one fails")
        assert "certificate is not trusted" in d.stderr()
        assert receiver.bodies("/slack") == []
        assert metric(d.metrics(), "weir_alert_notifications_total", result="failed") >= 1
        assert d.terminate() == 0
    finally:
        receiver.close()


def test_webhook_settings_are_checked_with_positions(daemons, tmp_path):
    receiver = Receiver()
    try:
        d, log = start(daemons, receiver)
        path = os.path.join(d.dir, "alerts", "payments.yaml")
        with open(path, "w") as f:
            f.write("rules:\n  - name: x\n    notify:\n      - webhook: http://127.0.0.1:1/h\n"
                    "        ca_file: /nonexistent.pem\n      - webhook: ftp://x/\n")
        result = d.reload_signal()
        assert result["result"] == "failure"
        text = "\n".join(result["errors"])
        assert "payments.yaml:5:18: ca_file '/nonexistent.pem' cannot be read" in text, text
        assert "webhook expects http://host:port/path or https://" in text, text
    finally:
        receiver.close()
