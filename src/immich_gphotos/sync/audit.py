"""What `check` finds: the state's record compared with what the app's Google albums hold.

Google shows an app only what it created, keeps no checksum, and says nothing of what the user
did in Google Photos, so this reads: ``albums.list`` (50 albums a request), then
``mediaItems.search`` per Google album of the selected albums (100 items a request), and
``mediaItems.batchGet`` (50 a request) only for items the state placed that the album no longer
shows, to tell an item the user removed (still visible to the app) from one this OAuth client
cannot see (it did not create it: never reported missing). Every request counts against the
day's budget; at the budget the audit stops and says what it did not check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from immich_gphotos.clock import iso
from immich_gphotos.errors import ExitCode, QuotaReached, RemoteError
from immich_gphotos.gphotos import limits
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.gphotos.models import AlbumGone, GoogleAlbum, MediaItem
from immich_gphotos.state.repairs import RepairRecords
from immich_gphotos.state.views import GooglePart
from immich_gphotos.sync.context import Stop

T = TypeVar("T")


@dataclass(frozen=True)
class AlbumToCheck:
    """A selected album (or smart album): its state key, names, and the Google title it gets."""

    key: str
    name: str
    google_title: str
    kind: str = "album"


@dataclass
class ItemNote:
    media_item_id: str
    file_name: str | None = None
    creation_time: str | None = None
    asset_id: str | None = None

    @classmethod
    def of(cls, item: MediaItem, asset_id: str | None = None) -> ItemNote:
        when = iso(item.creation_time) if item.creation_time else None
        return cls(item.id, item.file_name, when, asset_id)


@dataclass
class PartCheck:
    part: int
    google_album_id: str
    title: str
    found: str = "not checked"  # "ok" | "deleted" | "unreadable" | "not checked"
    items: int | None = None  # what Google shows the app in it
    removed: list[ItemNote] = field(default_factory=list)  # placed, removed in Google Photos
    unknown: list[ItemNote] = field(default_factory=list)  # there, the state does not know them
    not_visible: int = 0  # placed, but not visible to this OAuth client: not counted missing
    problem: str | None = None
    # with --repair: what was done
    recreated_as: str | None = None
    put_back: int = 0
    matched: int = 0
    to_place_again: int = 0  # the next sync places these (refused by reference, or gone)


@dataclass
class Adoption:
    candidates: list[dict[str, Any]] = field(default_factory=list)  # {"id", "title", "items"}
    adopted: list[str] = field(default_factory=list)  # Google album ids taken over
    matched: int = 0
    unmatched: list[ItemNote] = field(default_factory=list)  # in Google, no Immich asset found
    left_for_sync: int = 0  # assets Google does not hold: the next sync uploads them
    problem: str | None = None


@dataclass
class AlbumCheck:
    key: str
    name: str
    google_title: str
    kind: str = "album"
    parts: list[PartCheck] = field(default_factory=list)
    adoption: Adoption | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(
            self.problems
            or any(p.found not in ("ok", "recreated") or p.removed or p.unknown for p in self.parts)
            or (self.adoption and (self.adoption.problem or self.adoption.unmatched))
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["immich_id"] = self.key if self.kind == "album" else None
        if self.kind != "album":
            data["smart_id"] = self.key
        data["differs"] = self.differs
        return data


@dataclass
class CheckReport:
    repair: bool
    albums: list[AlbumCheck] = field(default_factory=list)
    unknown_albums: list[dict[str, Any]] = field(default_factory=list)  # the app's, not recorded
    estimate: int = 0
    google_requests: int = 0
    stopped: str | None = None  # None | "budget" | "quota"
    not_checked: list[str] = field(default_factory=list)  # titles left unread by a stop

    @property
    def exit_code(self) -> int:
        if self.stopped:
            return ExitCode.QUOTA
        if self.unknown_albums or any(a.differs for a in self.albums):
            return ExitCode.FAILED
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "repair": self.repair,
            "google_requests": self.google_requests,
            "estimate": self.estimate,
            "stopped": self.stopped,
            "not_checked": self.not_checked,
            "albums": [a.to_json() for a in self.albums],
            "unknown_albums": self.unknown_albums,
        }


def estimate(records: RepairRecords, albums: list[AlbumToCheck], repair: bool) -> int:
    """About how many requests a check makes: the album list, a search per 100 recorded items
    of each Google album, and (repairing) one search for each album without a Google album."""
    parts = [p for a in albums for p in records.parts_of(a.key)]
    total = math.ceil(max(1, len(records.known_google_albums()) + 1) / limits.ALBUMS_PAGE)
    total += sum(max(1, math.ceil(p.item_count / limits.ITEMS_PAGE)) for p in parts)
    if repair:
        total += sum(1 for a in albums if not records.parts_of(a.key))
    return total


class Audit:
    """Reads Google and compares; with a stop (budget, quota) the rest is left unread."""

    def __init__(
        self, google: GooglePhotosClient, records: RepairRecords, report: CheckReport
    ) -> None:
        self.google, self.records, self.report = google, records, report
        self.listing: list[GoogleAlbum] = []
        self.contents: dict[str, list[MediaItem]] = {}  # Google album id -> its items, as read

    def call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except QuotaReached as exc:
            self.report.stopped = exc.kind
            raise Stop from None

    def list_albums(self) -> None:
        self.listing = self.call(lambda: list(self.google.list_albums()))

    def unknown(self) -> list[GoogleAlbum]:
        known = self.records.known_google_albums()
        return [a for a in self.listing if a.id not in known]

    def items(self, google_album_id: str) -> list[MediaItem]:
        if google_album_id not in self.contents:
            self.contents[google_album_id] = self.call(
                lambda: list(self.google.album_items(google_album_id))
            )
        return self.contents[google_album_id]

    def check_album(self, album: AlbumToCheck) -> AlbumCheck:
        result = AlbumCheck(album.key, album.name, album.google_title, album.kind)
        self.report.albums.append(result)
        listed = {a.id for a in self.listing}
        for part in self.records.parts_of(album.key):
            found = PartCheck(part.part, part.google_album_id, part.title)
            result.parts.append(found)
            self.check_part(album, part, found, listed)
        return result

    def check_part(
        self, album: AlbumToCheck, part: GooglePart, found: PartCheck, listed: set[str]
    ) -> None:
        if part.google_album_id not in listed and self._gone(part.google_album_id):
            found.found = "deleted"
            return
        try:
            items = self.items(part.google_album_id)
        except RemoteError as exc:  # a listing that repeats or never ends, an odd answer
            found.found, found.problem = "unreadable", exc.message
            return
        found.found, found.items = "ok", len(items)
        placed = self.records.placed_in(album.key, part.google_album_id)
        held = {i.id for i in items}
        ours = set(placed.values())
        found.unknown = [ItemNote.of(i) for i in items if i.id not in ours]
        missing = {media: asset for asset, media in placed.items() if media not in held}
        for start in range(0, len(missing), limits.MAX_BATCH):
            ids = sorted(missing)[start : start + limits.MAX_BATCH]
            for media_id, item in self.call(lambda ids=ids: self.google.batch_get(ids)).items():  # type: ignore[misc]
                if item is None:
                    found.not_visible += 1
                else:
                    found.removed.append(ItemNote.of(item, missing[media_id]))

    def _gone(self, google_album_id: str) -> bool:
        """Not in the listing: confirm with albums.get before calling it deleted."""
        try:
            self.call(lambda: self.google.get_album(google_album_id))
        except AlbumGone:
            return True
        return False
