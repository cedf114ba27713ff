"""The light visit's TCP relay (bench/e2e/light.py) forwards every byte both ways and counts
what the server sends, per phase, the websocket connection apart from HTTP. No browser."""

from __future__ import annotations

import socket
import threading

from bench.e2e.light import Relay


def _server(reply: dict[bytes, bytes]) -> tuple[socket.socket, threading.Thread]:
    """A loopback server: reads one request, answers with the reply for its path, closes."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(len(reply)):
            conn, _ = srv.accept()
            with conn:
                req = conn.recv(65536)
                path = req.split(b" ")[1]
                conn.sendall(reply[path])

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv, t


def _ask(port: int, path: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while chunk := c.recv(65536):
            got += chunk
        return got


def test_relay_counts_http_and_websocket_bytes_per_phase() -> None:
    page = b"HTTP/1.1 200 OK\r\n\r\n" + "高要".encode() * 50_000
    stream = b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + bytes(range(256)) * 4_000
    srv, t = _server({b"/": page, b"/_stcore/stream": stream})
    relay = Relay(srv.getsockname()[1])
    try:
        assert _ask(relay.port, b"/") == page
        relay.phase = "change"
        assert _ask(relay.port, b"/_stcore/stream") == stream
    finally:
        relay.close()
        srv.close()
    t.join(5)
    assert relay.of("cold")["http_b"] == len(page)
    assert relay.of("cold")["ws_b"] == 0
    assert relay.of("change")["ws_b"] == len(stream)
    assert relay.of("change")["http_b"] == 0
    assert relay.requests == {"cold": 1, "change": 1}
    assert relay.quiet_for() >= 0


def test_relay_to_a_closed_port_drops_the_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    relay = Relay(port)  # nothing listens there
    try:
        assert _ask(relay.port, b"/") == b""  # accepted, then closed: no answer
    finally:
        relay.close()
    assert relay.of("cold")["http_b"] == 0
