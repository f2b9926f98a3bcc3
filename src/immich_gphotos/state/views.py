"""What the state says, as plain frozen values: the sync plans against these (no SQL, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class AssetFacts(Protocol):
    """What the state records of an Immich asset (ImmichAsset has these; state imports no client)."""

    @property
    def id(self) -> str: ...
    @property
    def checksum(self) -> str: ...
    @property
    def size(self) -> int | None: ...
    @property
    def type(self) -> str: ...
    @property
    def mime(self) -> str | None: ...


@dataclass(frozen=True)
class GooglePart:
    part: int
    google_album_id: str
    title: str
    item_count: int


@dataclass(frozen=True)
class StateView:
    """What the state says, as plain mappings (a snapshot, taken before planning)."""

    media_by_checksum: Mapping[str, str] = field(default_factory=dict)  # our items, by checksum
    ref_refused: frozenset[str] = frozenset()  # media ids batchAdd refused (not app-created)
    placed: Mapping[tuple[str, str], str] = field(
        default_factory=dict
    )  # (album, asset) -> google album
    media_of_asset: Mapping[str, str] = field(default_factory=dict)  # asset id -> media item id
    parts: Mapping[str, tuple[GooglePart, ...]] = field(
        default_factory=dict
    )  # album -> its Google albums
    attempts: Mapping[str, int] = field(default_factory=dict)  # asset id -> failed runs so far
    # album -> how many of its items sit in its Google album(s): read for every album, listed
    # or not (``placed`` holds only the listed albums' items)
    placed_count: Mapping[str, int] = field(default_factory=dict)


class BatchAssetFacts(AssetFacts, Protocol):
    """What a batchCreate intent records of each asset: its facts, the name Google is given, and
    the capture time (what a later run matches Google's items against)."""

    @property
    def file_name(self) -> str: ...
    @property
    def file_created_at(self) -> datetime: ...


@dataclass(frozen=True)
class IntentAsset:
    """One asset of an unfinished batchCreate, as the state recorded it (an AssetFacts)."""

    id: str
    checksum: str
    size: int | None
    type: str
    mime: str | None
    file_name: str
    file_created_at: datetime
    captured_at: datetime | None = None  # not recorded: recovery matches on fileCreatedAt


@dataclass(frozen=True)
class BatchIntent:
    """A batchCreate the state saw start but never saw finish."""

    id: int
    album_id: str
    google_album_id: str
    assets: tuple[IntentAsset, ...]


# --- follow-through: what a Google item shows, so later changes in Immich can follow -----------


@dataclass(frozen=True)
class UploadNote:
    """What an upload sent, kept until its batch is recorded (in the same transaction)."""

    rendition: str  # "original" | "edited"
    tag: str | None  # the edited rendition's size and ETag as downloaded
    updated_at: str | None  # Immich updatedAt of the asset as planned (ISO)
    description_digest: str  # of the description batchCreate gave the item


@dataclass(frozen=True)
class PlacedFacts:
    """One asset whose Google item the state knows, and what that item shows."""

    media_item_id: str
    rendition: str | None  # None: not known (an item recovered after a crash)
    tag: str | None
    seen_updated_at: str | None
    description_digest: str | None  # None: not known (taken as it is now, never patched blind)
    not_app_created: bool  # Google refused it by reference or a patch: the bytes were not ours
    attempts: int  # failed runs of its replacement so far


@dataclass(frozen=True)
class FollowView:
    """The state the follow-through plans against (a snapshot, taken before planning)."""

    placed: Mapping[str, PlacedFacts] = field(default_factory=dict)  # asset id -> its item
    # asset id -> every (Immich album, Google album) the tool placed its item in
    albums_of: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    shared_media: frozenset[str] = frozenset()  # items more than one asset uses (duplicates)
    followed_titles: Mapping[str, str] = field(default_factory=dict)  # album -> name-only title


@dataclass(frozen=True)
class AlbumListing:
    """What Immich's album list said of an album when it was last listed and synced completely."""

    asset_count: int
    updated_at: str | None
    last_modified: str | None
    settings: str
    listed_at: datetime
