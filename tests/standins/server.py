"""The HTTP server under both stand-ins: stops at once, leaves no thread and no port behind.

``ThreadingHTTPServer.serve_forever`` notices ``shutdown()`` only at its next poll (0.5 s by
default), and its handler threads are daemons nobody joins: a keep-alive connection from an
in-process client keeps its thread blocked in ``recv`` long after the test. Here the serving
loop waits on the listening socket *and* a wake-up socket, so ``stop()`` returns as soon as the
loop sees the wake-up; open connections are shut down so their handler threads end, and those
threads are joined.

A stopped server keeps its port bound (not listening) until ``release()``: connecting to it is
refused, as tests of "the server went away" expect, and no other server (say, one on another
xdist worker) can take the port and answer in its place.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any

JOIN_TIMEOUT = 10.0  # a handler still running after this long is a bug in a test or stand-in


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True  # the mixin does not track them; this class does, in _handlers

    def __init__(self, address: tuple[str, int], handler: Any, name: str) -> None:
        super().__init__(address, handler)
        self.name = name
        self._wake_r, self._wake_w = socket.socketpair()
        self._lock = threading.Lock()
        self._handlers: set[threading.Thread] = set()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._placeholder: socket.socket | None = None
        self.handler_errors: list[str] = []

    # --- serving ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in ready):
                    return
                self._handle_request_noblock()

    def process_request(self, request: Any, client_address: Any) -> None:
        # Answers go out at once, as from Node's http server (Immich) or Google's front ends:
        # with Nagle's algorithm on, an answer written as headers then body waits for the
        # client's delayed ACK, 40 ms a request on loopback, which no real server adds.
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(
            target=self._handle_in_thread,
            args=(request, client_address),
            name=f"{self.name}-handler",
            daemon=True,
        )
        with self._lock:
            self._handlers.add(thread)
            self._connections.add(request)
        thread.start()

    def _handle_in_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
                self._handlers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Kept, not printed: a connection a fault or ``stop()`` broke on purpose is no error,
        and a test running the CLI in this process would read a traceback on sys.stderr as the
        tool's own output."""
        import sys

        self.handler_errors.append(repr(sys.exc_info()[1]))

    # --- stopping -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop listening, end every connection and join every thread. Safe to call twice."""
        if self._stopping:
            return
        self._stopping = True
        address = self.server_address
        if self._thread is not None:
            self._wake_w.send(b"x")
            self._thread.join(JOIN_TIMEOUT)
            assert not self._thread.is_alive(), f"{self.name}: the serving loop did not stop"
        self.socket.close()  # from now on a connection attempt is refused
        self._placeholder = _reserve(address)
        with self._lock:
            connections, handlers = list(self._connections), list(self._handlers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in handlers:
            thread.join(JOIN_TIMEOUT)
        stuck = [t for t in handlers if t.is_alive()]
        assert not stuck, f"{self.name}: {len(stuck)} handler thread(s) still running"
        self._wake_r.close()
        self._wake_w.close()

    def release(self) -> None:
        """After stop(): give the port back."""
        self.stop()
        if self._placeholder is not None:
            self._placeholder.close()
            self._placeholder = None


def _reserve(address: Any) -> socket.socket | None:
    """Bind (without listening) to the address just closed, so nobody else takes the port."""
    placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        placeholder.bind(address[:2])
    except OSError:  # someone was quicker; nothing to hold
        placeholder.close()
        return None
    return placeholder
