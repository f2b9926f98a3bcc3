"""MediaItemCalls: the mediaItems.* calls (batchCreate, search by album, batchGet, patch).

batchCreate takes at most 50 items and runs one at a time (the main thread's placing); it is
retried as a whole and says when it was (``BatchResults.replayed``), since an upload token is
spent once its item is created. Every call goes through ``LibraryRequests._send``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx

from immich_gphotos.errors import RemoteError
from immich_gphotos.gphotos.library_requests import LibraryRequests, patch_refused
from immich_gphotos.gphotos.limits import (
    ALBUM_LIMIT,
    ITEMS_PAGE,
    MAX_DESCRIPTION,
    MAX_FILE_NAME,
    PAGES_MARGIN,
    check_batch,
)
from immich_gphotos.gphotos.models import (
    AlbumPosition,
    BatchResults,
    GoogleApiError,
    ItemResult,
    MediaItem,
    NewItem,
)
from immich_gphotos.text import clean


class MediaItemCalls(LibraryRequests):
    """Creating items from upload tokens, reading them back, patching their descriptions."""

    def batch_create(
        self, album_id: str, items: list[NewItem], position: AlbumPosition | None = None
    ) -> BatchResults:
        """Create up to 50 items in the album, at ``position`` (None: the end); one result per
        item, in the order given. ``replayed`` on the answer says the request went out more than
        once, so an item failing now (its upload token spent) may have been created earlier."""
        check_batch(items)
        body: dict[str, Any] = {
            "albumId": album_id,  # always: bytes Google already holds can only be placed here
            "newMediaItems": [_new_media_item(item) for item in items],
        }
        if position is not None:
            body["albumPosition"] = position.to_api()
        tries = 0

        def once() -> httpx.Response:
            nonlocal tries
            tries += 1
            return self._send("POST", "/v1/mediaItems:batchCreate", replayable=False, json=body)

        try:
            response = self._retry.call(once)
        except GoogleApiError as exc:
            exc.replayed = tries > 1
            raise
        try:
            data = response.json() if response.content else {}
        except ValueError:
            raise RemoteError(
                "Google answered batchCreate with something that is not JSON."
            ) from None
        by_token: dict[str, ItemResult] = {}
        for raw in data.get("newMediaItemResults") or []:
            status = raw.get("status") or {}
            media = raw.get("mediaItem") or {}
            token = str(raw.get("uploadToken") or "")
            by_token[token] = ItemResult(
                upload_token=token,
                code=int(status.get("code") or 0),
                message=clean(str(status.get("message") or "")),
                media_item_id=media.get("id"),
            )
        missing = ItemResult("", 13, "Google returned no result for this item", None)
        results = BatchResults(by_token.get(item.upload_token, missing) for item in items)
        results.replayed = tries > 1
        return results

    def album_items(self, album_id: str, page_size: int = ITEMS_PAGE) -> Iterator[MediaItem]:
        """Every item of an album that this OAuth client created (paged, 100 a request); only
        for repair and `check`, never in steady state."""
        pages = self._pages(
            "POST",
            "/v1/mediaItems:search",
            {"albumId": album_id, "pageSize": page_size},
            "mediaItems",
            math.ceil(ALBUM_LIMIT / page_size) + PAGES_MARGIN,
            f"the items of Google album {album_id}",
        )
        for raw in pages:
            yield MediaItem.from_api(raw)

    def batch_get(self, media_item_ids: list[str]) -> dict[str, MediaItem | None]:
        """Up to 50 items by id; None for each one this client cannot see (not created by it,
        or gone from the library): Google answers per item, partial failure is normal."""
        check_batch(media_item_ids)
        data = self._json("GET", "/v1/mediaItems:batchGet", params={"mediaItemIds": media_item_ids})
        found: dict[str, MediaItem | None] = dict.fromkeys(media_item_ids)
        for result in data.get("mediaItemResults") or []:
            raw = result.get("mediaItem") if isinstance(result, dict) else None
            if isinstance(raw, dict) and raw.get("id") in found:
                found[str(raw["id"])] = MediaItem.from_api(raw)
        return found

    def describe_item(self, media_item_id: str, description: str) -> None:
        """mediaItems.patch with updateMask=description (as written: line breaks belong there);
        PatchRefused when the item is not app-created or no longer in the library."""
        try:
            self._json(
                "PATCH",
                f"/v1/mediaItems/{media_item_id}",
                params={"updateMask": "description"},
                json={"id": media_item_id, "description": description[:MAX_DESCRIPTION]},
            )
        except GoogleApiError as exc:
            raise patch_refused(exc) from None


def _new_media_item(item: NewItem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "simpleMediaItem": {
            "uploadToken": item.upload_token,
            "fileName": item.file_name[:MAX_FILE_NAME],
        }
    }
    if item.description:
        entry["description"] = item.description[:MAX_DESCRIPTION]
    return entry
