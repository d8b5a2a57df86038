"""The plumbing both fake servers share: a threaded HTTP/1.1 server on 127.0.0.1 that starts and stops
fast, closes idle keep-alive connections on stop, and keeps quiet about clients that hang up."""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LoopbackHTTPServer", "LoopbackHandler", "LoopbackServer"]


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class LoopbackHTTPServer(ThreadingHTTPServer):
    """Tracks open connections so that ``close_connections`` can wake idle keep-alive handlers."""

    daemon_threads = True
    block_on_close = False
    fake: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.closed = False
        super().__init__(*args, **kwargs)

    def close_connections(self) -> None:
        # Idle keep-alive handlers block in readline(); shutting the socket wakes them.
        with self.connections_lock:
            self.closed = True
            conns, self.connections = list(self.connections), set()
        for conn in conns:
            _shutdown(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a client hung up: not news
            super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive without Nagle (headers and body go in separate sends: ~40 ms per request with
    Nagle and delayed ACKs), registered with the server while open, and silent."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: LoopbackHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            closed = self.server.closed
            if not closed:
                self.server.connections.add(self.connection)
        if closed:  # accepted just before stop(): refuse to serve it
            _shutdown(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    """Start/stop, context manager and port for a fake server; subclasses set ``handler_class``."""

    handler_class: type[LoopbackHandler]

    def __init__(self) -> None:
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Any:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        name = type(self).__name__
        if self._httpd is not None:
            raise RuntimeError(f"{name} is already running")
        self._before_start()
        httpd = LoopbackHTTPServer(("127.0.0.1", 0), self.handler_class)
        httpd.fake = self
        self._httpd = httpd
        # A short poll interval keeps stop() fast (shutdown() waits for one poll).
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name=name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection (safe to call twice)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._before_stop()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None

    def _before_start(self) -> None:
        """Hook: reset per-run state."""

    def _before_stop(self) -> None:
        """Hook: release anything a handler may be waiting on."""

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._httpd.server_address[1])
