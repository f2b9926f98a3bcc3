"""Byte uploads to Google: the raw protocol for small files, the resumable one for big ones.

The bytes are streamed from the source (the Immich download) and never held whole. A streamed
body cannot be replayed, so a retry reopens the source, for a resumable upload at the offset
Google says it holds (``OpenStream``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

import httpx

from immich_gphotos.errors import RemoteError
from immich_gphotos.gphotos.limits import RAW_UPLOAD_LIMIT
from immich_gphotos.gphotos.models import GoogleUnauthorized
from immich_gphotos.text import clean
from immich_gphotos.transport import RetryPolicy

# Opens the item's bytes at an offset; a retry opens it again where Google says it stopped.
OpenStream = Callable[[int], AbstractContextManager[Iterable[bytes]]]


class Send(Protocol):
    """The client's request pipeline (counted, typed errors; retried unless not replayable)."""

    def __call__(
        self, method: str, url: str, *, replayable: bool = True, **kwargs: object
    ) -> httpx.Response: ...


class ByteUploads:
    def __init__(self, send: Send, retry: RetryPolicy, api_url: str) -> None:
        self._send, self._retry, self.api_url = send, retry, api_url

    def upload(
        self,
        open_stream: OpenStream,
        size: int | None,
        mime: str | None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Upload the bytes and return Google's upload token (valid for a day)."""
        if size is not None and size > RAW_UPLOAD_LIMIT:
            return self._upload_resumable(open_stream, size, mime, on_bytes)
        return self._upload_raw(open_stream, size, mime, on_bytes)

    def _upload_raw(
        self,
        open_stream: OpenStream,
        size: int | None,
        mime: str | None,
        on_bytes: Callable[[int], None] | None,
    ) -> str:
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Goog-Upload-Content-Type": mime or "application/octet-stream",
            "X-Goog-Upload-Protocol": "raw",
        }
        if size is not None:
            headers["Content-Length"] = str(size)
        return self._with_reopen(lambda: self._raw_once(open_stream, headers, on_bytes))

    def _raw_once(
        self,
        open_stream: OpenStream,
        headers: dict[str, str],
        on_bytes: Callable[[int], None] | None,
    ) -> str:
        with open_stream(0) as stream:
            response = self._send(
                "POST",
                "/v1/uploads",
                replayable=False,
                content=_counting(stream, on_bytes),
                headers=headers,
            )
        return response.text.strip()

    def _with_reopen(
        self, once: Callable[[], str], resume: Callable[[], None] | None = None
    ) -> str:
        """Retry a streamed upload: each try reopens the source (where ``resume`` says to)."""
        return self._retry.call(once, transient=self._stream_transient, before_retry=resume)

    def _stream_transient(self, exc: BaseException) -> bool:
        """A 401 after which the token was refreshed is worth another try of a streamed body."""
        return isinstance(exc, GoogleUnauthorized) or self._retry.transient(exc)

    def _upload_resumable(
        self,
        open_stream: OpenStream,
        size: int,
        mime: str | None,
        on_bytes: Callable[[int], None] | None,
    ) -> str:
        start = self._send(
            "POST",
            "/v1/uploads",
            content=b"",
            headers={
                "Content-Length": "0",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Content-Type": mime or "application/octet-stream",
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Raw-Size": str(size),
            },
        )
        session = _session_url(start.headers.get("x-goog-upload-url"), self.api_url)
        position = {"offset": 0}

        def resume() -> None:
            position["offset"] = self._received(session)

        def once() -> str:
            # The whole rest of the file in one "upload, finalize" request: every request
            # counts against the daily quota, and the bytes stream through in 256 KiB pieces
            # whatever the request's length. After a break, Google says how much it kept.
            offset = position["offset"]
            n = size - offset
            with open_stream(offset) as stream:
                cursor = _ByteCursor(iter(stream))
                response = self._send(
                    "POST",
                    session,
                    replayable=False,
                    content=_counting(cursor.take(n), on_bytes),
                    headers={
                        "Content-Length": str(n),
                        "X-Goog-Upload-Command": "upload, finalize",
                        "X-Goog-Upload-Offset": str(offset),
                    },
                )
            return response.text.strip()

        return self._with_reopen(once, resume)

    def _received(self, session: str) -> int:
        """Ask Google how much of the upload it holds; the next bytes start there."""
        response = self._send(
            "POST",
            session,
            content=b"",
            headers={"Content-Length": "0", "X-Goog-Upload-Command": "query"},
        )
        if response.headers.get("x-goog-upload-status") == "final":
            raise RemoteError(
                "The resumable upload was already finalised without a token; it will be retried next run."
            )
        return int(response.headers.get("x-goog-upload-size-received") or 0)


def _session_url(session: str | None, api_url: str) -> str:
    """The resumable session URL, only where ``api_url`` is: the bearer token goes with it."""
    from urllib.parse import urlsplit

    if not session:
        raise RemoteError(
            "Google started a resumable upload but gave no upload URL; try again later."
        )
    want = urlsplit(api_url)
    try:
        got = urlsplit(session)
        same = (got.scheme, got.hostname, got.port) == (want.scheme, want.hostname, want.port)
    except ValueError:
        same = False
    if not same:
        raise RemoteError(
            f"Google's upload URL points outside {want.scheme}://{want.netloc} (to "
            f"{clean(session[:100])}); the item was not sent there and is retried next run.",
            status=400,
        )
    return session


class _ByteCursor:
    """Exact-length slices out of an iterator of chunks of any size."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def take(self, n: int) -> Iterator[bytes]:
        while n > 0:
            if not self._left:
                self._left = next(self._chunks, b"")
                if not self._left:
                    raise RemoteError(
                        "The Immich download ended before the expected size; it will be retried."
                    )
            piece, self._left = self._left[:n], self._left[n:]
            n -= len(piece)
            yield piece


def _counting(chunks: Iterable[bytes], on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
    for piece in chunks:
        if on_bytes:
            on_bytes(len(piece))
        yield piece
