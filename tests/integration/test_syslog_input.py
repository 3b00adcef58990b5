"""The syslog input in the real daemon: TCP with both framings, UDP, TLS with
and without client certificates, and multiline joined per connection."""
import json
import os
import socket
import ssl

import pytest

from weirtest import Daemon, SOURCE_DIR, metric, wait_until

TLS = os.path.join(SOURCE_DIR, "tests", "data", "tls")


def tls_file(name):
    return json.dumps(os.path.join(TLS, name))


PIPELINE = f"""
name: syslog
inputs:
  - {{type: syslog, name: tcp_in, mode: tcp, listen: "127.0.0.1:0"}}
  - {{type: syslog, name: udp_in, mode: udp, listen: "127.0.0.1:0"}}
  - type: syslog
    name: tls_in
    mode: tcp
    listen: "127.0.0.1:0"
    tls: true
    tls_cert_file: {tls_file("server.pem")}
    tls_key_file: {tls_file("server.key")}
  - type: syslog
    name: mtls_in
    mode: tcp
    listen: "127.0.0.1:0"
    tls: true
    tls_cert_file: {tls_file("server.pem")}
    tls_key_file: {tls_file("server.key")}
    tls_ca_file: {tls_file("ca.pem")}
    tls_verify_client: true
parser:
  type: syslog
outputs:
  - type: stdout
"""


def octet(msg):
    data = msg.encode()
    return str(len(data)).encode() + b" " + data


def rfc5424(app, text):
    return f"<165>1 2026-11-29T10:00:00.000Z web01 {app} 42 ID7 - {text}"


def tls_client(port, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=os.path.join(TLS, "ca.pem"))
    if cert:
        ctx.load_cert_chain(os.path.join(TLS, cert), os.path.join(TLS, key))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def refused(port, cert=None, key=None):
    """True if a client with this certificate (or none) cannot deliver anything."""
    try:
        with tls_client(port, cert, key) as s:
            s.sendall(octet(rfc5424("refused", "must not arrive")))
            # TLS 1.3: the server's verdict on the client certificate comes after
            # the client's handshake finished; the read sees the alert or EOF.
            return s.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


@pytest.fixture
def daemon():
    d = Daemon({"syslog.yaml": PIPELINE})
    d.start()
    yield d
    d.cleanup()


def test_tcp_both_framings_udp_and_tls(daemon):
    d = daemon
    tcp, udp = d.listen_port("tcp_in"), d.listen_port("udp_in", scheme="udp")
    tls, mtls = d.listen_port("tls_in", scheme="tls"), d.listen_port("mtls_in", scheme="tls")

    with socket.create_connection(("127.0.0.1", tcp)) as s:
        s.sendall(octet(rfc5424("octet", "one")) + octet(rfc5424("octet", "two\nwith a newline")))
    with socket.create_connection(("127.0.0.1", tcp)) as s:
        s.sendall((rfc5424("newline", "three") + "\n" + rfc5424("newline", "four") + "\n").encode())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(rfc5424("udp", "five").encode(), ("127.0.0.1", udp))
    with tls_client(tls) as s:
        s.sendall(octet(rfc5424("tls", "six")))
    with tls_client(mtls, "client.pem", "client.key") as s:
        s.sendall(octet(rfc5424("mtls", "seven")))

    def count():
        return len(d.stdout_lines())
    wait_until(lambda: count() >= 7, message="7 events on stdout")
    out = d.stdout_json()
    by_text = {e["message"]: e for e in out}
    assert set(by_text) == {"one", "two\nwith a newline", "three", "four", "five", "six", "seven"}, out
    for e in out:
        assert e["source_address"] == "127.0.0.1"
        assert e.get("hostname") == "web01", e
        assert "_parse_error" not in e, e


def test_mutual_tls_refuses_clients_without_a_trusted_certificate(daemon):
    d = daemon
    mtls = d.listen_port("mtls_in", scheme="tls")
    assert refused(mtls)                              # no certificate
    assert refused(mtls, "rogue.pem", "rogue.key")    # not signed by the CA
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="tls_handshake_failed") >= 2,
               message="handshake failures counted")
    with tls_client(mtls, "client.pem", "client.key") as s:
        s.sendall(octet(rfc5424("mtls", "trusted")))
    wait_until(lambda: any(e["message"] == "trusted" for e in d.stdout_json()), message="trusted event")
    assert not any(e["message"] == "must not arrive" for e in d.stdout_json())


def test_plain_client_on_a_tls_port_is_cut_off(daemon):
    d = daemon
    tls = d.listen_port("tls_in", scheme="tls")
    with socket.create_connection(("127.0.0.1", tls), timeout=10) as s:
        s.sendall(b"<13>plain text to a TLS port\n")
        while s.recv(4096):  # the server answers with an alert, then closes
            pass
    wait_until(lambda: metric(d.metrics(), "weir_errors_total", reason="tls_handshake_failed") >= 1,
               message="handshake failure counted")
    assert not any("plain text" in e.get("message", "") for e in d.stdout_json())


MULTILINE = """
name: traces
inputs:
  - {type: tcp, name: lines, listen: "127.0.0.1:0"}
parser:
  type: multiline
  preset: java
outputs:
  - type: stdout
"""


def test_multiline_is_joined_per_connection():
    d = Daemon({"traces.yaml": MULTILINE})
    try:
        d.start()
        port = d.listen_port("lines")
        a = socket.create_connection(("127.0.0.1", port))
        b = socket.create_connection(("127.0.0.1", port))
        # Interleaved: each connection's continuation lines belong to its own event.
        a.sendall(b"2026-11-29 10:00:00 ERROR a failed\n")
        b.sendall(b"2026-11-29 10:00:00 ERROR b failed\n")
        a.sendall(b"java.lang.IllegalStateException: a\n\tat A.run(A.java:1)\n")
        b.sendall(b"java.lang.RuntimeException: b\n\tat B.run(B.java:2)\n")
        a.sendall(b"2026-11-29 10:00:01 INFO a next\n")
        b.sendall(b"2026-11-29 10:00:01 INFO b next\n")
        a.close()
        b.close()
        wait_until(lambda: len(d.stdout_lines()) >= 4, message="4 joined events")
        bodies = sorted(e["message"] for e in d.stdout_json())
        assert bodies == sorted([
            "2026-11-29 10:00:00 ERROR a failed\njava.lang.IllegalStateException: a\n\tat A.run(A.java:1)",
            "2026-11-29 10:00:00 ERROR b failed\njava.lang.RuntimeException: b\n\tat B.run(B.java:2)",
            "2026-11-29 10:00:01 INFO a next",
            "2026-11-29 10:00:01 INFO b next",
        ]), bodies
    finally:
        d.cleanup()
