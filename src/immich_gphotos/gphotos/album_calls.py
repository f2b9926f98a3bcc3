"""AlbumCalls: the albums.* calls (create, get, list, retitle, add and remove by reference).

Since March 2025 an app sees and changes only what it created, so albums are ours by id, and
one Google does not show us counts as gone (``AlbumGone``). Batch add and remove take at most
50 items (``limits.check_batch``). Every call goes through ``LibraryRequests._send``.
"""

from __future__ import annotations

from collections.abc import Iterator

from immich_gphotos.gphotos.library_requests import LibraryRequests, patch_refused
from immich_gphotos.gphotos.limits import ALBUMS_PAGE, MAX_ALBUM_PAGES, MAX_TITLE, check_batch
from immich_gphotos.gphotos.models import AlbumGone, GoogleAlbum, GoogleApiError, ReferenceRefused
from immich_gphotos.text import clean


class AlbumCalls(LibraryRequests):
    """The Google albums this app made, and which of its items each one holds."""

    def create_album(self, title: str) -> GoogleAlbum:
        return GoogleAlbum.from_api(
            # the title may come from an older config holding a raw Immich name: inert here too
            self._json("POST", "/v1/albums", json={"album": {"title": clean(title)[:MAX_TITLE]}})
        )

    def get_album(self, album_id: str) -> GoogleAlbum:
        """The album, or AlbumGone when the user deleted it (or it is not one we created)."""
        try:
            return GoogleAlbum.from_api(self._json("GET", f"/v1/albums/{album_id}"))
        except GoogleApiError as exc:
            if exc.status in (400, 403, 404):
                raise AlbumGone(str(exc), status=exc.status or 404, reason=exc.reason) from None
            raise

    def batch_add(self, album_id: str, media_item_ids: list[str]) -> None:
        """Add app-created items by reference; all or nothing, as Google does it."""
        check_batch(media_item_ids)
        try:
            self._json(
                "POST",
                f"/v1/albums/{album_id}:batchAddMediaItems",
                json={"mediaItemIds": media_item_ids},
            )
        except GoogleApiError as exc:
            if exc.status == 400 and "media item" in str(exc).lower():
                raise ReferenceRefused(str(exc), status=400, reason=exc.reason) from None
            if exc.status in (403, 404):
                raise AlbumGone(str(exc), status=exc.status or 404, reason=exc.reason) from None
            raise

    def batch_remove(self, album_id: str, media_item_ids: list[str]) -> None:
        check_batch(media_item_ids)
        self._json(
            "POST",
            f"/v1/albums/{album_id}:batchRemoveMediaItems",
            json={"mediaItemIds": media_item_ids},
        )

    def retitle_album(self, album_id: str, title: str) -> GoogleAlbum:
        """albums.patch with updateMask=title; PatchRefused when the album is gone or not ours."""
        title = clean(title)[:MAX_TITLE]
        try:
            return GoogleAlbum.from_api(
                self._json(
                    "PATCH",
                    f"/v1/albums/{album_id}",
                    params={"updateMask": "title"},
                    json={"id": album_id, "title": title},
                )
            )
        except GoogleApiError as exc:
            raise patch_refused(exc) from None

    def list_albums(self) -> Iterator[GoogleAlbum]:
        """Every album this app created (paged, 50 a request); for `check` and, only when an
        album is about to be created, for the sync's look for one a lost state does not know."""
        pages = self._pages(
            "GET",
            "/v1/albums",
            {"pageSize": ALBUMS_PAGE},
            "albums",
            MAX_ALBUM_PAGES,
            "the albums this app made",
        )
        for raw in pages:
            yield GoogleAlbum.from_api(raw)
