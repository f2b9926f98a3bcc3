"""``POST /search/metadata``, paged to the end: the v3 way to list an album's contents and the
searches of smart albums. Before 3.2 the criteria are flat fields paged by number; from 3.2,
where the flat fields are deprecated, the album goes in the ``filter`` tree, paged by cursor.
A server that hands out the same page again is stopped, not followed for ever."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from immich_gphotos.errors import RemoteError
from immich_gphotos.immich.models import ImmichAsset, ServerVersion
from immich_gphotos.immich.server import ServerInfo
from immich_gphotos.text import clean

PAGE_SIZE = 1000  # the most /search/metadata allows
FILTER_TREE = ServerVersion(3, 2, 0)  # `filter` tree and cursor paging on /search/metadata


def album_filter(album_id: str) -> dict[str, Any]:
    """Immich 3.2's structured filter for one album's assets, trashed ones left out (a filter
    includes them unless it says so). From the 3.2 SDK typings; the server code was not read."""
    return {"albumIds": {"any": [album_id]}, "trashedAt": {"eq": None}}


def search_filter(filters: dict[str, Any]) -> dict[str, Any]:
    """A search body for Immich 3.2+: the album (the one field whose tree form, ``IdsFilter``,
    is known) goes in the ``filter`` tree with trashed assets left out, paged by cursor (no
    ``page``); the other criteria of a smart album (people, tags, dates, place, rating, type,
    visibility) stay flat fields, deprecated but still accepted through 3.3.5."""
    flat = {k: v for k, v in filters.items() if k != "albumIds"}
    tree: dict[str, Any] = {"trashedAt": {"eq": None}}
    if filters.get("albumIds"):
        tree = {"albumIds": {"any": list(filters["albumIds"])}} | tree
    return flat | {"filter": tree}


def unique(assets: Iterable[ImmichAsset]) -> list[ImmichAsset]:
    """De-duplicate by id: v2's offset pages can shift while assets change."""
    seen: dict[str, ImmichAsset] = {}
    for asset in assets:
        seen.setdefault(asset.id, asset)
    return list(seen.values())


class MetadataSearch(ServerInfo):
    """Searches of the assets, every page of them."""

    def search_assets(self, filters: dict[str, Any]) -> list[ImmichAsset]:
        """Every asset ``POST /search/metadata`` matches with these filters, each once, paged as
        album listings are. withExif is an INNER join on exif rows: unless a filter already needs
        exif (place, rating), a second listing without it finds the assets not yet through
        metadata extraction."""
        with_exif = unique(self._search(filters, with_exif=True))
        if any(filters.get(k) is not None for k in ("country", "city", "rating")):
            return with_exif
        known = {a.id for a in with_exif}
        rest = [a for a in self._search(filters, with_exif=False) if a.id not in known]
        return unique([*with_exif, *rest])

    def _search(
        self, filters: dict[str, Any], *, with_exif: bool, what: str = "a search"
    ) -> Iterator[ImmichAsset]:
        body: dict[str, Any] = {
            **filters,
            "size": PAGE_SIZE,
            "page": 1,
            "withExif": with_exif,
        }
        if self.server_version() >= FILTER_TREE:  # the flat fields are deprecated there
            body = search_filter(filters) | {"size": PAGE_SIZE, "withExif": with_exif}
        seen: set[str] = set()  # a server that hands out the same page again would loop for ever
        while True:
            data = self._json("POST", "/search/metadata", json=body)
            assets = data.get("assets") or {}
            for raw in assets.get("items") or []:
                yield ImmichAsset.from_api(raw)
            cursor = assets.get("nextCursor")  # v3.2 cursor paging, preferred where offered
            next_page = assets.get("nextPage")
            following = f"cursor {cursor}" if cursor else f"page {next_page}" if next_page else ""
            if following and (following in seen or following == f"page {body.get('page')}"):
                raise RemoteError(
                    f"Immich answered the same page twice while listing {what} "
                    f"({clean(following[:60])}); try again later, and report it to Immich if it lasts."
                )
            seen.add(following)
            if cursor:
                body = {k: v for k, v in body.items() if k != "page"} | {"cursor": cursor}
            elif next_page:
                body = body | {"page": int(next_page)}
            else:
                return
