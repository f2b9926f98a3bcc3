"""Google's JSON as frozen dataclasses at the boundary, and the typed Google API error.

Text Google sends back (titles, file names, descriptions, error messages) passes ``text.clean``
here, as Immich's does in ``immich.models``: it is shown and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from immich_gphotos.errors import AuthError, RemoteError
from immich_gphotos.text import clean, clean_opt


class GoogleApiError(RemoteError):
    """Google answered with a google.rpc.Status error the caller may handle (404, 400, 403...)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, retry_after=retry_after)
        self.reason = reason  # google.rpc status name, e.g. INVALID_ARGUMENT
        self.replayed = False  # the request went out more than once (batchCreate sets it)


class AlbumGone(GoogleApiError):
    """The album no longer exists (the user deleted it in Google Photos) or is not ours."""


class PatchRefused(GoogleApiError):
    """albums.patch or mediaItems.patch refused for good: the object is not app-created (bytes
    that were in the library before), or it is gone. Trying again would not help."""


class ReferenceRefused(GoogleApiError):
    """batchAddMediaItems refused an item: not app-created, or not in the user's library."""


@dataclass(frozen=True)
class GoogleAlbum:
    id: str
    title: str
    is_writeable: bool
    media_items_count: int
    product_url: str | None = None  # the album in Google Photos, for people to open

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GoogleAlbum:
        url = data.get("productUrl")
        return cls(
            id=str(data["id"]),
            title=clean(str(data.get("title") or "")),
            is_writeable=bool(data.get("isWriteable", True)),
            media_items_count=int(data.get("mediaItemsCount") or 0),  # an int64 sent as a string
            # shown to people as a link: only an inert https address
            product_url=clean(url) if isinstance(url, str) and url.startswith("https://") else None,
        )


@dataclass(frozen=True)
class NewItem:
    """One item for batchCreate: an upload token and what Google should call it."""

    upload_token: str
    file_name: str
    description: str | None = None


@dataclass(frozen=True)
class ItemResult:
    """What batchCreate said about one item; a partly failed batch is the normal case."""

    upload_token: str
    code: int  # google.rpc.Code; 0 is OK
    message: str
    media_item_id: str | None

    @property
    def ok(self) -> bool:
        return self.code == 0 and self.media_item_id is not None


class BatchResults(list[ItemResult]):
    """batchCreate's results, one per item in the order given. ``replayed``: the request was
    sent more than once (a broken connection or a 5xx first), so Google may have acted on an
    earlier try whose answer never arrived; an item failing now may be in the album already."""

    replayed: bool = False


@dataclass(frozen=True)
class AlbumPosition:
    """Where batchCreate puts the new items: after a media item, or first in the album."""

    after_media_item_id: str | None = None  # None: FIRST_IN_ALBUM

    def to_api(self) -> dict[str, str]:
        if self.after_media_item_id is None:
            return {"position": "FIRST_IN_ALBUM"}
        return {"position": "AFTER_MEDIA_ITEM", "relativeMediaItemId": self.after_media_item_id}


@dataclass(frozen=True)
class MediaItem:
    id: str
    file_name: str
    mime_type: str | None
    description: str | None
    creation_time: datetime | None = None  # mediaMetadata.creationTime: the capture time

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> MediaItem:
        return cls(
            id=str(data["id"]),
            file_name=clean(str(data.get("filename") or "")),
            mime_type=data.get("mimeType"),
            description=clean_opt(data.get("description")),
            creation_time=_timestamp((data.get("mediaMetadata") or {}).get("creationTime")),
        )


def _timestamp(value: Any) -> datetime | None:
    """A google.protobuf.Timestamp in its JSON form (RFC 3339, "Z", up to 9 fractional digits)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # fromisoformat takes at most 6 fractional digits before 3.11's wider parser
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GoogleUnauthorized(AuthError):
    """A 401 that survived a token refresh (for a streamed body: one that may, on the next try)."""
