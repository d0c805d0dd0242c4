"""A tiny misbehaving HTTP server for transport self-tests: each path is one behaviour, written on the raw socket."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from contextlib import contextmanager


def _response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    headers = {"connection": "close", **headers}
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = b""
        self.request.settimeout(5)
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        request_line = head.split(b"\r\n")[0].decode()
        path = request_line.split(" ")[1]
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        while len(rest) < length:
            rest += self.request.recv(65536)
        self.server.seen.append((path, head.decode(), rest))
        segments = path.split("?")[0].strip("/").split("/")
        behaviour = next((getattr(self, "do_" + seg.replace("-", "_")) for seg in segments
                          if hasattr(self, "do_" + seg.replace("-", "_"))), None)
        if behaviour is None:
            self.send(_response("404 Not Found", {"content-type": "application/json", "content-length": "2"}, b"{}"))
            return
        behaviour()

    def send(self, data: bytes) -> None:
        try:
            self.request.sendall(data)
        except OSError:
            pass

    def do_models(self) -> None:
        body = b'{"object":"list","data":[]}'
        self.send(_response("200 OK", {"content-type": "application/json", "content-length": str(len(body))}, body))

    def do_hang(self) -> None:
        time.sleep(3)

    def do_stall(self) -> None:
        self.send(_response("200 OK", {"content-type": "text/event-stream", "connection": "close"},
                            b'data: {"a":1}\n\n'))
        time.sleep(3)

    def do_late_stall(self) -> None:
        """Headers only after 0.6 s, then one event, then a stall: a slow start is not a stall."""
        time.sleep(0.6)
        self.do_stall()

    def do_closed(self) -> None:
        self.send(_response("200 OK", {"content-type": "text/event-stream", "content-length": "1000"},
                            b'data: {"a":1}\n\n'))
        self.request.shutdown(socket.SHUT_RDWR)

    def do_reset(self) -> None:
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.request.close()  # RST before any byte of a response

    def do_trickle(self) -> None:
        self.send(_response("200 OK", {"content-type": "text/event-stream", "connection": "close"}))
        for _ in range(40):
            self.send(b": ping\n\n")
            time.sleep(0.1)

    def do_huge(self) -> None:
        self.send(_response("200 OK", {"content-type": "application/json", "connection": "close"}))
        block = b" " * 65536
        for _ in range(40):
            self.send(block)

    def do_ratelimited(self) -> None:
        self.server.counter += 1
        if self.server.counter <= self.server.fail_times:
            body = b'{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}'
            self.send(_response("429 Too Many Requests", {"content-type": "application/json", "retry-after": "0.2",
                                                          "content-length": str(len(body))}, body))
        else:
            self.do_models()

    def do_unavailable(self) -> None:
        body = b'{"error":{"message":"busy","type":"server_error","param":null,"code":null}}'
        self.send(_response("503 Service Unavailable", {"content-type": "application/json", "retry-after": "1000",
                                                        "content-length": str(len(body))}, body))

    def do_echo(self) -> None:
        body = b'{"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}'
        self.send(_response("200 OK", {"content-type": "application/json", "content-length": str(len(body))}, body))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def wire_server(fail_times: int = 2):
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    server.counter = 0
    server.fail_times = fail_times
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
