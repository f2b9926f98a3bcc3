"""The loopback listener of the Google login: only the redirect path, the ``state`` checked in
the handler (a stray request is answered 400 and the wait goes on), idle connections dropped."""

from __future__ import annotations

import hmac
import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SUCCESS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>immich-gphotos</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.5}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>"""


class Answer:
    """The first redirect URL to arrive, from the listener or from stdin."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.source: str | None = None
        self.event = threading.Event()
        self._lock = threading.Lock()

    def offer(self, url: str, source: str) -> None:
        with self._lock:
            if self.url is None:
                self.url, self.source = url, source
                self.event.set()


IDLE_TIMEOUT = 5.0  # seconds a connection to the listener may stay silent before it is dropped
REDIRECT_PATH = "/"


def same_state(got: str | None, expected: str | None) -> bool:
    """Constant-time comparison of OAuth ``state`` values, as bytes (any text, never a TypeError)."""
    if not got or not expected:
        return False
    return hmac.compare_digest(
        got.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def handler(
    answer: Answer, expected_state: Callable[[], str | None]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = IDLE_TIMEOUT  # an idle or slow connection is dropped, never waited on for ever

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the query holds the authorization code: never log it

        def _page(self, status: int, title: str, text: str) -> None:
            body = (
                SUCCESS_PAGE.replace("{title}", html.escape(title))
                .replace("{text}", html.escape(text))
                .encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if parts.path != REDIRECT_PATH or ("code" not in query and "error" not in query):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                return
            if not same_state(query.get("state", [""])[-1], expected_state()):
                # a stray or forged request (another local program, an old tab): not this login,
                # so the listener keeps waiting for the real answer
                self._page(
                    400,
                    "Not this login",
                    "This answer does not belong to the login immich-gphotos is waiting for. "
                    "Use the URL the terminal shows.",
                )
                return
            if "error" in query:
                self._page(
                    200,
                    "Login not completed",
                    "Google did not grant access. Return to the terminal.",
                )
            else:
                self._page(
                    200,
                    "Logged in",
                    "immich-gphotos has your Google login. You can close this tab.",
                )
            # Only now hand the answer over: the command may exit at once (a refusal), and the
            # browser must still get its page.
            port = self.server.server_address[1]  # type: ignore[index]  # (host, port) for AF_INET
            answer.offer(f"http://127.0.0.1:{port}{self.path}", "browser")

    return Handler


class Listener(ThreadingHTTPServer):
    daemon_threads = True  # each connection on its own thread: one idle client blocks no one
