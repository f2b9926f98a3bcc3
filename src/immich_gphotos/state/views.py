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


@dataclass(frozen=True)
class BatchIntent:
    """A batchCreate the state saw start but never saw finish."""

    id: int
    album_id: str
    google_album_id: str
    assets: tuple[IntentAsset, ...]


@dataclass(frozen=True)
class AlbumListing:
    """What Immich's album list said of an album when it was last listed and synced completely."""

    asset_count: int
    updated_at: str | None
    last_modified: str | None
    settings: str
    listed_at: datetime
