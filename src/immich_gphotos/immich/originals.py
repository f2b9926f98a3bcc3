"""An asset's original from Immich: the call that opens it (``Originals``, the untouched file or
the edited rendition, from an offset when resuming) and the stream it gives, positioned at that
offset, sized when known."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from immich_gphotos.errors import RemoteError
from immich_gphotos.immich.sending import Sender
from immich_gphotos.transport import describe_transport_error

PIECE = 256 * 1024  # bytes handed on at a time: one syscall's worth, not a whole file


class StreamInterrupted(RemoteError):
    """The original's download broke mid-body; reopen at the bytes received so far."""


@dataclass
class OriginalStream:
    """An open download of an asset's original, positioned at ``offset``."""

    response: httpx.Response
    offset: int
    total: int | None  # the whole file's size when the server says it
    mime: str | None
    etag: str | None = None  # Immich (Express) sends W/"size-mtime": it changes with every edit

    @property
    def tag(self) -> str:
        """The rendition's identity without its bytes: size and ETag (an edit changes both or
        at least the ETag's mtime); compared to decide whether an edit changed since upload."""
        return f"{self.total if self.total is not None else '?'}:{self.etag or ''}"

    def iter_bytes(self, piece_size: int = PIECE) -> Iterator[bytes]:
        """The body from ``offset`` in pieces of at least ``piece_size`` (the last may be less).
        The network's reads are joined once here; httpx's own fixed-size chunking would copy
        every byte twice more, and on a small machine the copy's CPU is the transfer's cost."""
        skip = 0
        if self.offset and self.response.status_code == 200:
            skip = self.offset  # the server ignored Range: drop what the caller already has
        pending: list[bytes] = []
        held = 0
        try:
            for chunk in self.response.iter_bytes():
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                pending.append(chunk)
                held += len(chunk)
                if held >= piece_size:
                    yield b"".join(pending)
                    pending, held = [], 0
        except httpx.TransportError as exc:
            raise StreamInterrupted(
                f"The download from Immich broke off ({describe_transport_error(exc)})"
            ) from exc
        if pending:
            yield b"".join(pending)


def total_size(response: httpx.Response, offset: int) -> int | None:
    content_range = response.headers.get("content-range", "")
    if response.status_code == 206 and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


class Originals(Sender):
    """Downloads of an asset's bytes, and the identity of its edited rendition."""

    @contextmanager
    def open_original(
        self, asset_id: str, offset: int = 0, edited: bool = False
    ) -> Iterator[OriginalStream]:
        """Stream the untouched original, or with ``edited`` the edited rendition (Immich >= 2.5
        keeps edits beside the original), from ``offset`` (an HTTP Range request) when resuming."""
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        params = {"edited": "true"} if edited else None
        response = self._send(
            "GET", f"/assets/{asset_id}/original", stream=True, headers=headers, params=params
        )
        try:
            yield OriginalStream(
                response,
                offset,
                total_size(response, offset),
                response.headers.get("content-type"),
                response.headers.get("etag"),
            )
        finally:
            response.close()

    def rendition_tag(self, asset_id: str) -> str:
        """What identifies the edited rendition now (its size and ETag), read from the download's
        headers; the body is never read."""
        with self.open_original(asset_id, edited=True) as stream:
            return stream.tag
