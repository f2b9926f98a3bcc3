"""Smart albums: the Immich searches that feed one, their union, and the names behind the ids.

``POST /search/metadata`` wants *all* of its ``personIds``, ``tagIds`` and ``albumIds`` in one
asset, and an exact ``rating``; a smart album's lists match *any* entry and its rating is a
minimum. So one smart album is the union of one search per combination (person x tag x album
x rating x visibility), each paged as album listings are. ``visibility`` is asked explicitly,
``timeline`` and ``archive``: v3's default would add ``hidden`` (the motion parts of live
photos) and v2's leaves out archived assets, which the sync's eligibility rules decide on.
``takenBefore`` is inclusive in Immich and exclusive here: the boundary is dropped after.
On Immich v2 a search returns only the caller's own (and partners') timeline assets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from typing import Any

from immich_gphotos.config import SmartAlbum
from immich_gphotos.errors import AppError
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichAlbum, ImmichAsset, ImmichPerson, ImmichTag

VISIBILITIES = ("timeline", "archive")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def searches(smart: SmartAlbum) -> list[dict[str, Any]]:
    """The search bodies (without paging) whose union is the smart album. Pure."""
    base: dict[str, Any] = {}
    if smart.favorite is not None:
        base["isFavorite"] = smart.favorite
    if smart.taken_after is not None:
        base["takenAfter"] = _iso(smart.taken_after)
    if smart.taken_before is not None:
        base["takenBefore"] = _iso(smart.taken_before)
    if smart.country:
        base["country"] = smart.country
    if smart.city:
        base["city"] = smart.city
    if smart.type:
        base["type"] = smart.type.upper()
    if smart.not_in_any_album:
        base["isNotInAlbum"] = True
    people: list[list[str] | None] = [None]
    if smart.people:
        people = (
            [list(smart.people)] if smart.people_match == "all" else [[p] for p in smart.people]
        )
    tags: list[list[str] | None] = [[t] for t in smart.tags] or [None]
    albums: list[list[str] | None] = [[a] for a in smart.in_albums] or [None]
    ratings: list[int | None] = (
        list(range(smart.min_rating, 6)) if smart.min_rating is not None else [None]
    )
    bodies = []
    for person, tag, album, rating, visibility in product(
        people, tags, albums, ratings, VISIBILITIES
    ):
        body = dict(base)
        if person:
            body["personIds"] = person
        if tag:
            body["tagIds"] = tag
        if album:
            body["albumIds"] = album
        if rating is not None:
            body["rating"] = rating
        body["visibility"] = visibility
        bodies.append(body)
    return bodies


def matching_assets(immich: ImmichClient, smart: SmartAlbum) -> list[ImmichAsset]:
    """Every asset the smart album holds now, each once."""
    found: dict[str, ImmichAsset] = {}
    for body in searches(smart):
        for asset in immich.search_assets(body):
            found.setdefault(asset.id, asset)
    before = smart.taken_before
    return [a for a in found.values() if before is None or a.file_created_at < before]


@dataclass
class Directory:
    """People, tags and albums of the key's user, each list read once and only when needed (people
    need ``person.read``, tags ``tag.read``: a key without them works while no smart album uses them)."""

    immich: ImmichClient
    _people: list[ImmichPerson] | None = None
    _tags: list[ImmichTag] | None = None
    _albums: list[ImmichAlbum] | None = None
    names: dict[str, str] = field(default_factory=dict)

    def people(self) -> list[ImmichPerson]:
        if self._people is None:
            self._people = self.immich.people()
        return self._people

    def tags(self) -> list[ImmichTag]:
        if self._tags is None:
            self._tags = self.immich.tags()
        return self._tags

    def albums(self) -> list[ImmichAlbum]:
        if self._albums is None:
            self._albums = self.immich.albums()
        return self._albums

    def missing(self, smart: SmartAlbum) -> list[str]:
        """What the smart album names that Immich no longer has (deleted, merged), as phrases."""
        gone: list[str] = []
        if smart.people:
            known = {p.id for p in self.people()}
            gone += [f"person {p}" for p in smart.people if p not in known]
        if smart.tags:
            known = {t.id for t in self.tags()}
            gone += [f"tag {t}" for t in smart.tags if t not in known]
        if smart.in_albums:
            known = {a.id for a in self.albums()}
            gone += [f"album {a}" for a in smart.in_albums if a not in known]
        return gone

    def describe(self, smart: SmartAlbum) -> str:
        """The criteria in words, with names where Immich can give them (ids where it cannot)."""
        return describe(smart, self._labels(smart))

    def _labels(self, smart: SmartAlbum) -> dict[str, str]:
        labels: dict[str, str] = {}
        try:
            if smart.people:
                labels |= {p.id: p.name or f"unnamed person {p.id}" for p in self.people()}
            if smart.tags:
                labels |= {t.id: t.value for t in self.tags()}
            if smart.in_albums:
                labels |= {a.id: a.name for a in self.albums()}
        except AppError:
            pass  # ids, then: a listing is no place to fail for a missing permission
        return labels


def describe(smart: SmartAlbum, labels: dict[str, str] | None = None) -> str:
    """Pure: "people Alice or Bob; favourites; rating 4+; ..." for tables and messages."""
    labels = labels or {}

    def named(ids: tuple[str, ...], joiner: str) -> str:
        return f" {joiner} ".join(f'"{labels.get(i, i)}"' for i in ids)

    parts = []
    if smart.people:
        joiner = "and" if smart.people_match == "all" else "or"
        parts.append(
            ("person " if len(smart.people) == 1 else "people ") + named(smart.people, joiner)
        )
    if smart.tags:
        parts.append("tagged " + named(smart.tags, "or"))
    if smart.favorite is not None:
        parts.append("favourites" if smart.favorite else "not favourites")
    if smart.min_rating is not None:
        parts.append(f"rated {smart.min_rating}+" if smart.min_rating < 5 else "rated 5")
    if smart.taken_after is not None:
        parts.append(f"taken from {_day(smart.taken_after)}")
    if smart.taken_before is not None:
        parts.append(f"taken before {_day(smart.taken_before)}")
    if smart.country:
        parts.append(f'in country "{smart.country}"')
    if smart.city:
        parts.append(f'in city "{smart.city}"')
    if smart.type:
        parts.append(f"{smart.type}s only")
    if smart.in_albums:
        parts.append("in album " + named(smart.in_albums, "or"))
    if smart.not_in_any_album:
        parts.append("in no album")
    return "; ".join(parts) or "everything"


def _day(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.date().isoformat() if utc.time() == datetime.min.time() else _iso(utc)
