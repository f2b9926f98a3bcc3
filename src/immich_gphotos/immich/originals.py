"""An asset's original as it streams from Immich: positioned at an offset, sized when known."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from immich_gphotos.errors import RemoteError
from immich_gphotos.transport import describe_transport_error


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

    def iter_bytes(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        skip = 0
        if self.offset and self.response.status_code == 200:
            skip = self.offset  # the server ignored Range: drop what the caller already has
        try:
            for chunk in self.response.iter_bytes(chunk_size):
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                yield chunk
        except httpx.TransportError as exc:
            raise StreamInterrupted(
                f"The download from Immich broke off ({describe_transport_error(exc)})"
            ) from exc


def total_size(response: httpx.Response, offset: int) -> int | None:
    content_range = response.headers.get("content-range", "")
    if response.status_code == 206 and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None
