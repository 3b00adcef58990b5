"""What an output's write result means, with the real daemon: the http output
sends to a loopback receiver that answers 400 (refused for good: dropped,
counted with its reason, never retried, the file input's lines acknowledged so
a restart does not read them again) and then 200; and a secret the endpoint
echoes back is masked in the output's own log line."""
import gzip
import http.server
import json
import os
import threading

from weirtest import Daemon, metric, wait_until

SECRET = "sekrit-token-8c1f"


class Receiver:
    """A loopback HTTP endpoint answering `self.status` to every POST and
    keeping the messages of every request it was sent (accepted or not)."""

    def __init__(self):
        self.status = 400
        self.requests = []  # one list of messages per request, in arrival order
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                lines = [json.loads(l)["message"] for l in body.decode().splitlines() if l]
                with receiver.lock:
                    receiver.requests.append(lines)
                    status = receiver.status
                # A careless endpoint echoes the credential in its error.
                answer = f"bad request from {self.headers.get('Authorization')}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def messages(self):
        with self.lock:
            return [m for r in self.requests for m in r]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def shipper(port, log_dir, workdir=None):
    return Daemon({"ship.yaml": f"""
name: ship
inputs:
  - type: file
    name: app
    paths: [{json.dumps(os.path.join(log_dir, "*.log"))}]
    read_from_head: true
    poll_interval: 20ms
    refresh_interval: 100ms
outputs:
  - type: http
    name: out
    url: http://127.0.0.1:{port}/v1/logs
    api_key: {SECRET}
    batch_timeout: 50ms
    retry_initial: 50ms
    retry_max: 200ms
"""}, workdir=workdir)


def append(path, lines):
    with open(path, "a") as f:
        f.write("".join(line + "\n" for line in lines))


def test_a_refused_batch_is_dropped_counted_never_retried_and_acknowledged(tmp_path):
    receiver = Receiver()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log = str(log_dir / "app.log")
    refused = [f"refused {n}" for n in range(100)]
    accepted = [f"accepted {n}" for n in range(50)]
    d = shipper(receiver.port, str(log_dir))
    try:
        append(log, refused)
        d.start()
        wait_until(lambda: metric(d.metrics(), "weir_events_dropped_total", plugin="http",
                                  reason="rejected_by_endpoint") == 100, message="100 events refused and counted")
        m = d.metrics()
        assert metric(m, "weir_errors_total", plugin="http", reason="write_failed") == 0  # a drop, not a failure

        # The sender is in order: once later lines arrive, a retry of the
        # refused ones would have come before them.
        receiver.status = 200
        append(log, accepted)
        wait_until(lambda: set(accepted) <= set(receiver.messages()), message="the later lines delivered")
        got = receiver.messages()
        assert sorted(m for m in got if m.startswith("refused")) == sorted(refused), "a refused batch was sent again"

        # Refused for good still acknowledges: the file input moved on, so a
        # restart reads neither the refused lines nor the delivered ones again.
        assert d.terminate() == 0
        # The endpoint echoed the API key; the output's log line shows it masked.
        err = d.stderr()
        assert "HTTP 400" in err and "bad request from Bearer ***" in err, err[-2000:]
        assert SECRET not in err
        before = len(got)
        d2 = shipper(receiver.port, str(log_dir), workdir=d.dir)
        d2.start()
        append(log, ["after restart"])
        wait_until(lambda: "after restart" in receiver.messages(), message="the line written after the restart")
        assert receiver.messages()[before:] == ["after restart"], receiver.messages()[before:]
        assert SECRET not in json.dumps(d2.status())
        d2.cleanup()
    finally:
        d.cleanup()
        receiver.close()
