"""GooglePhotosClient: the Library API calls the sync needs, counted, retried and typed.

The one class callers use, composed of one module per job (rules from Google in each, and in
shared/notes/google-photos-api.md):
- ``library_requests.LibraryRequests``: the request pipeline (``_send``: budget hook, retry
  policy ``google_retry_policy``, typed errors; ``_json``, ``_pages``)
- ``album_calls.AlbumCalls``: albums: create, get, list, retitle, add and remove by reference
- ``media_item_calls.MediaItemCalls``: media items: batchCreate, search by album, batchGet, patch
- ``uploads.ByteUploads``: the bytes, raw or resumable, before batchCreate
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from immich_gphotos.budget import RequestBudget
from immich_gphotos.gphotos.album_calls import AlbumCalls
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.library_requests import google_retry_policy
from immich_gphotos.gphotos.media_item_calls import MediaItemCalls
from immich_gphotos.gphotos.uploads import ByteUploads, OpenStream
from immich_gphotos.transport import RetryPolicy

__all__ = ["GooglePhotosClient", "google_retry_policy"]


class GooglePhotosClient(AlbumCalls, MediaItemCalls):
    """Albums, media items and byte uploads over one counted, retried HTTP client."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        budget: RequestBudget | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        super().__init__(api_url, tokens, budget, retry, timeout)
        self._uploads = ByteUploads(self._send, self._retry, self.api_url)

    def upload(
        self,
        open_stream: OpenStream,
        size: int | None,
        mime: str | None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Upload the bytes and return Google's upload token (valid for a day)."""
        return self._uploads.upload(open_stream, size, mime, on_bytes)
