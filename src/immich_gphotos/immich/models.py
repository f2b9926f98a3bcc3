"""Immich's JSON turned into frozen dataclasses at the boundary; nothing past it indexes a dict.

This is also where other people's text enters: names, file names and descriptions are passed
through ``text.clean`` here, so nothing downstream (terminal, log, cron mail, notifications,
Google album titles) can carry an escape sequence or a forged line. ``raw_*`` keep the original
for ``--json`` output, which escapes it.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from immich_gphotos.text import clean, clean_opt


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, order=True)
class ServerVersion:
    major: int
    minor: int
    patch: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ServerVersion:
        return cls(int(data["major"]), int(data["minor"]), int(data["patch"]))

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class ImmichUser:
    id: str
    name: str
    email: str
    raw_name: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ImmichUser:
        name = str(data.get("name") or "")
        return cls(
            id=str(data["id"]),
            name=clean(name),
            email=clean(str(data.get("email") or "")),
            raw_name=name,
        )


@dataclass(frozen=True)
class ImmichAlbum:
    id: str
    name: str
    asset_count: int
    updated_at: datetime | None
    last_modified_asset: datetime | None
    owner_id: str | None
    owner_name: str | None
    shared: bool
    raw_name: str = ""
    raw_owner_name: str | None = None

    @property
    def last_change(self) -> datetime | None:
        """Adding assets bumps updatedAt; editing one bumps lastModifiedAssetTimestamp."""
        moments = [m for m in (self.updated_at, self.last_modified_asset) if m is not None]
        return max(moments) if moments else None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ImmichAlbum:
        owner = data.get("owner")  # v2: a separate owner object
        owner_id = data.get("ownerId")
        owner_name = owner.get("name") if isinstance(owner, dict) else None
        if owner is None:  # v3: the owner is the albumUsers entry with role "owner"
            for member in data.get("albumUsers") or []:
                if member.get("role") == "owner":
                    owner_id = member["user"]["id"]
                    owner_name = member["user"].get("name")
                    break
        name = str(data.get("albumName") or "")
        owner_name = None if owner_name is None else str(owner_name)
        return cls(
            id=str(data["id"]),
            name=clean(name),
            asset_count=int(data.get("assetCount") or 0),
            updated_at=_parse_time(data.get("updatedAt")),
            last_modified_asset=_parse_time(data.get("lastModifiedAssetTimestamp")),
            owner_id=owner_id,
            owner_name=clean_opt(owner_name),
            shared=bool(data.get("shared")),
            raw_name=name,
            raw_owner_name=owner_name,
        )


@dataclass(frozen=True)
class ImmichAsset:
    id: str
    checksum: str
    type: str  # IMAGE | VIDEO | AUDIO | OTHER
    file_name: str
    mime: str | None
    size: int | None  # from exif; None when Immich has no exif row yet
    file_created_at: datetime
    trashed: bool
    archived: bool
    live_photo_video_id: str | None
    description: str | None
    owner_id: str
    # External-library assets carry SHA-1 of "path:<originalPath>", not of the file's contents,
    # so their checksum identifies a path and cannot be used to verify or dedupe content.
    external: bool
    # The description as written: it goes to Google as the item's description, where line breaks
    # belong; ``description`` is the inert form for anything shown or logged.
    raw_description: str | None = None
    # Immich (v2.5+) keeps edits beside the original: ``isEdited``, and the edited rendition is
    # downloaded with ``edited=true``; ``checksum`` stays the original's. An edit moves
    # ``updatedAt`` (so do other changes), which is what tells a run to look closer.
    is_edited: bool = False
    updated_at: datetime | None = None
    # exifInfo came with the listing: only then does a missing description mean "none"
    exif_known: bool = False
    # exifInfo.dateTimeOriginal: the capture time the file itself carries (None: no EXIF time),
    # what Google reads as creationTime; matched against it when adopting a Google album
    captured_at: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ImmichAsset:
        exif = data.get("exifInfo") or {}
        name = str(data.get("originalFileName") or data["id"])
        mime = data.get("originalMimeType") or mimetypes.guess_type(name)[0]
        visibility = data.get("visibility")
        archived = visibility == "archive" if visibility else bool(data.get("isArchived"))
        size = exif.get("fileSizeInByte")
        description = exif.get("description")
        description = description.strip() or None if isinstance(description, str) else None
        created = _parse_time(data.get("fileCreatedAt")) or _parse_time(data.get("localDateTime"))
        return cls(
            id=str(data["id"]),
            checksum=str(data["checksum"]),
            type=str(data.get("type") or "OTHER"),
            file_name=clean(name),
            mime=mime,
            size=int(size) if isinstance(size, int | float) else None,
            file_created_at=created or datetime.fromtimestamp(0, UTC),
            trashed=bool(data.get("isTrashed")),
            archived=archived,
            live_photo_video_id=data.get("livePhotoVideoId") or None,
            description=clean_opt(description),
            owner_id=str(data.get("ownerId") or ""),
            external=data.get("libraryId") is not None,
            raw_description=description,
            is_edited=bool(data.get("isEdited")),
            updated_at=_parse_time(data.get("updatedAt")),
            exif_known=isinstance(data.get("exifInfo"), dict),
            captured_at=_parse_time(exif.get("dateTimeOriginal")),
        )


@dataclass(frozen=True)
class ImmichPerson:
    """A person Immich recognised (``GET /people``); many have no name until the user gives one."""

    id: str
    name: str  # "" when unnamed
    hidden: bool = False
    raw_name: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ImmichPerson:
        name = str(data.get("name") or "").strip()
        return cls(
            id=str(data["id"]), name=clean(name), hidden=bool(data.get("isHidden")), raw_name=name
        )


@dataclass(frozen=True)
class ImmichTag:
    """A tag (``GET /tags``): ``value`` is its whole path ("Family/Kids"), ``name`` the last part."""

    id: str
    value: str
    name: str
    raw_value: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ImmichTag:
        value = str(data.get("value") or data.get("name") or "")
        name = str(data.get("name") or value)
        return cls(id=str(data["id"]), value=clean(value), name=clean(name), raw_value=value)
