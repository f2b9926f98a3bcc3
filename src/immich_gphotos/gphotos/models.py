"""Google's JSON as frozen dataclasses at the boundary, and the typed Google API error.

Text Google sends back (titles, file names, descriptions, error messages) passes ``text.clean``
here, as Immich's does in ``immich.models``: it is shown and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from immich_gphotos.errors import RemoteError
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


class AlbumGone(GoogleApiError):
    """The album no longer exists (the user deleted it in Google Photos) or is not ours."""


class ReferenceRefused(GoogleApiError):
    """batchAddMediaItems refused an item: not app-created, or not in the user's library."""


@dataclass(frozen=True)
class GoogleAlbum:
    id: str
    title: str
    is_writeable: bool
    media_items_count: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GoogleAlbum:
        return cls(
            id=str(data["id"]),
            title=clean(str(data.get("title") or "")),
            is_writeable=bool(data.get("isWriteable", True)),
            media_items_count=int(data.get("mediaItemsCount") or 0),  # an int64 sent as a string
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


@dataclass(frozen=True)
class MediaItem:
    id: str
    file_name: str
    mime_type: str | None
    description: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> MediaItem:
        return cls(
            id=str(data["id"]),
            file_name=clean(str(data.get("filename") or "")),
            mime_type=data.get("mimeType"),
            description=clean_opt(data.get("description")),
        )
