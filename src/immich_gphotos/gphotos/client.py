"""GooglePhotosClient: the Library API calls the sync needs, counted, retried and typed.

Rules from Google (see shared/notes/google-photos-api.md):
- since March 2025 an app sees and changes only what it created, so albums are ours by id;
- batchCreate and batch add/remove take at most 50 items, and batchCreate runs one at a time;
- a 429 means wait at least 30 s (or Retry-After); "per day" in it means the daily quota is gone;
- 5xx and broken connections: back off at least 1 s and try again.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from immich_gphotos.budget import RequestBudget
from immich_gphotos.errors import AuthError, QuotaReached, RemoteError, StorageFull, Unreachable
from immich_gphotos.gphotos.auth import BearerAuth, TokenSource
from immich_gphotos.gphotos.limits import (
    ALBUM_LIMIT,
    ALBUMS_PAGE,
    ITEMS_PAGE,
    MAX_ALBUM_PAGES,
    MAX_BATCH,
    MAX_DESCRIPTION,
    MAX_FILE_NAME,
    MAX_TITLE,
    PAGES_MARGIN,
)
from immich_gphotos.gphotos.models import (
    AlbumGone,
    AlbumPosition,
    BatchResults,
    GoogleAlbum,
    GoogleApiError,
    GoogleUnauthorized,
    ItemResult,
    MediaItem,
    NewItem,
    PatchRefused,
    ReferenceRefused,
)
from immich_gphotos.gphotos.uploads import ByteUploads, OpenStream
from immich_gphotos.text import clean, clean_opt
from immich_gphotos.transport import (
    MAX_ERROR_BYTES,
    MAX_JSON_BYTES,
    RetryPolicy,
    describe_transport_error,
    make_client,
    read_capped,
    retry_after_seconds,
)


def google_retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=5, base=1.0, cap=64.0, min_after_5xx=1.0, min_after_429=30.0, broken_as_5xx=True
    )


class GooglePhotosClient:
    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        budget: RequestBudget | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        hooks = {"request": [budget.hook]} if budget else {}
        self.api_url = api_url.rstrip("/")
        self._http = make_client(
            self.api_url,
            timeout=timeout or httpx.Timeout(120.0, connect=15.0),
            event_hooks=hooks,  # type: ignore[arg-type]
        )
        self._http.auth = BearerAuth(tokens)
        self._retry = retry or google_retry_policy()
        self.budget = budget
        self._uploads = ByteUploads(self._send, self._retry, self.api_url)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GooglePhotosClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the request pipeline -----------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, replayable: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """One call under the retry policy; ``replayable=False`` (a streamed body) makes exactly
        one attempt: the caller retries it by reopening the source (``_with_reopen``)."""

        def once() -> httpx.Response:
            try:
                response = self._http.send(
                    self._http.build_request(method, url, **kwargs), stream=True
                )
                limit = MAX_JSON_BYTES if response.is_success else MAX_ERROR_BYTES
                read_capped(response, limit, "Google Photos")
            except httpx.TransportError as exc:
                raise Unreachable(
                    f"Cannot reach Google Photos at {self.api_url}: {describe_transport_error(exc)}; "
                    "check the network and try again."
                ) from None
            if response.is_success:
                return response
            raise self._error(response)

        if not replayable:
            return once()
        return self._retry.call(once)

    def _error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        message, reason = _status_details(response)
        lowered = message.lower()
        if status == 429 and "per day" in lowered:
            return QuotaReached(
                "Google's daily quota for this project is used up (10,000 Library API requests per "
                "day); progress is saved and the next run after midnight Pacific time continues."
            )
        if status == 400 and "storage" in lowered:
            return StorageFull(
                "The Google account's storage is full; free space (or buy more) in Google One, then run sync again."
            )
        if status == 401:
            return GoogleUnauthorized(
                f"Google rejected the login ({message}); run `immich-gphotos auth`."
            )
        if status == 403 and "scope" in lowered:
            return AuthError(
                "The Google login lacks a permission this tool needs (insufficient scopes); run "
                "`immich-gphotos auth` and allow all the requested access."
            )
        return GoogleApiError(
            f"Google answered {status} {reason or ''}: {message}".replace("  ", " "),
            status=status,
            reason=reason,
            retry_after=retry_after_seconds(response),
        )

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._send(method, url, **kwargs)
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise RemoteError(
                f"Google answered {method} {url} with something that is not JSON."
            ) from None

    # --- albums -------------------------------------------------------------------------------

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
        _check_batch(media_item_ids)
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
        _check_batch(media_item_ids)
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
            raise _refused(exc) from None

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
            raise _refused(exc) from None

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
        _check_batch(media_item_ids)
        data = self._json("GET", "/v1/mediaItems:batchGet", params={"mediaItemIds": media_item_ids})
        found: dict[str, MediaItem | None] = dict.fromkeys(media_item_ids)
        for result in data.get("mediaItemResults") or []:
            raw = result.get("mediaItem") if isinstance(result, dict) else None
            if isinstance(raw, dict) and raw.get("id") in found:
                found[str(raw["id"])] = MediaItem.from_api(raw)
        return found

    def _pages(
        self, method: str, url: str, query: dict[str, Any], key: str, max_pages: int, what: str
    ) -> Iterator[dict[str, Any]]:
        """The entries of a paged list, each once. A page token seen before, or more pages than
        the list can fill, is Google misbehaving: stop with a clear error, never loop."""
        seen: set[str] = set()
        tokens: set[str] = set()
        token: str | None = None
        for _ in range(max_pages):
            page = query | ({"pageToken": token} if token else {})
            if method == "GET":
                data = self._json(method, url, params=page)
            else:
                data = self._json(method, url, json=page)
            for raw in data.get(key) or []:
                ident = str(raw.get("id")) if isinstance(raw, dict) else ""
                if ident and ident not in seen:  # a page boundary may repeat an entry
                    seen.add(ident)
                    yield raw
            token = data.get("nextPageToken")
            if not token:
                return
            if token in tokens:
                raise RemoteError(
                    f"Google answered the same page twice while listing {what}; try again later."
                )
            tokens.add(token)
        raise RemoteError(
            f"Google kept answering with more pages while listing {what} (more than {max_pages}, "
            "more than it can hold); stopped there, try again later."
        )

    # --- creating media items -----------------------------------------------------------------

    def batch_create(
        self, album_id: str, items: list[NewItem], position: AlbumPosition | None = None
    ) -> BatchResults:
        """Create up to 50 items in the album, at ``position`` (None: the end); one result per
        item, in the order given. ``replayed`` on the answer says the request went out more than
        once, so an item failing now (its upload token spent) may have been created earlier."""
        _check_batch(items)
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

    # --- uploading bytes (gphotos/uploads.py) -------------------------------------------------

    def upload(
        self,
        open_stream: OpenStream,
        size: int | None,
        mime: str | None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Upload the bytes and return Google's upload token (valid for a day)."""
        return self._uploads.upload(open_stream, size, mime, on_bytes)


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


def _refused(exc: GoogleApiError) -> GoogleApiError:
    """A patch Google refuses for good (not ours, not app-created, gone) vs. one to retry."""
    if exc.status in (400, 403, 404):
        return PatchRefused(str(exc), status=exc.status or 400, reason=exc.reason)
    return exc


def _check_batch(items: list[Any]) -> None:
    if not 0 < len(items) <= MAX_BATCH:
        raise ValueError(f"a Google batch takes 1 to {MAX_BATCH} items, not {len(items)}")


def _status_details(response: httpx.Response) -> tuple[str, str | None]:
    """message and status name from a google.rpc.Status body (or the raw text), made inert."""
    message, reason = _raw_status_details(response)
    return clean(message)[:1000], clean_opt(None if reason is None else str(reason))


def _raw_status_details(response: httpx.Response) -> tuple[str, str | None]:
    with contextlib.suppress(ValueError):
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return str(error.get("message") or ""), error.get("status")
        if isinstance(error, str):  # OAuth-style {"error": "...", "error_description": "..."}
            return str(body.get("error_description") or error), error
    return response.text.strip()[:300] or response.reason_phrase, None
