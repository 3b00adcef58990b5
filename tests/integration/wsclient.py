"""A small WebSocket client (RFC 6455) for tests: handshake, masked text
frames out, frames in, ping and close. No packages beyond the standard library."""
import base64
import hashlib
import os
import socket
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class WebSocket:
    def __init__(self, port, path, headers=None, timeout=10, ssl_context=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        headers = dict(headers or {})
        headers.setdefault("Host", f"127.0.0.1:{port}")
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"{extra}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            assert self.headers.get("sec-websocket-accept") == want

    def send(self, payload, opcode=TEXT):
        data = payload.encode() if isinstance(payload, str) else payload
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        """(opcode, payload bytes) of the next frame (unfragmented frames only)."""
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def recv_text(self):
        """The next text message, answering nothing else on the way."""
        while True:
            op, payload = self.recv_frame()
            if op == TEXT:
                return payload.decode()
            if op == CLOSE:
                raise ConnectionError(f"closed by the server: {payload!r}")

    def recv_json(self):
        """The next text message as JSON, answering pings (the server closes a
        peer that stays silent past its idle timeout)."""
        import json
        while True:
            op, payload = self.recv_frame()
            if op == TEXT:
                return json.loads(payload.decode())
            if op == PING:
                self.send(payload, PONG)
            elif op == CLOSE:
                raise ConnectionError(f"closed by the server: {payload!r}")

    def close(self, code=1000):
        self.send(struct.pack("!H", code), CLOSE)
        while True:
            op, payload = self.recv_frame()
            if op == CLOSE:
                self.sock.close()
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
