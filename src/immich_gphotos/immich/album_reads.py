"""Albums and what is in them, the way each server version allows: v2 lists owned and
shared-with-me albums in two calls and gives an album's assets in ``GET /albums/{id}``; v3 lists
every album in one call and dropped ``assets`` from album responses, so its contents come from
``metadata_search`` (one ``albumIds`` entry, or from 3.2 the ``filter`` tree paged by cursor)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from immich_gphotos.errors import NotFound, RemoteError
from immich_gphotos.immich.metadata_search import MetadataSearch, unique
from immich_gphotos.immich.models import ImmichAlbum, ImmichAsset


class AlbumReads(MetadataSearch):
    """The albums, one album, its assets, one asset."""

    def albums(self) -> list[ImmichAlbum]:
        """Owned and shared-with-me albums, each once."""
        if self.is_v3:
            return [ImmichAlbum.from_api(a) for a in self._json("GET", "/albums")]
        merged: dict[str, ImmichAlbum] = {}
        for params in ({}, {"shared": "true"}):
            for raw in self._json("GET", "/albums", params=params):
                album = ImmichAlbum.from_api(raw)
                merged.setdefault(album.id, album)
        return list(merged.values())

    def album(self, album_id: str) -> ImmichAlbum:
        params = {} if self.is_v3 else {"withoutAssets": "true"}
        with _album_lookup(album_id):
            return ImmichAlbum.from_api(self._json("GET", f"/albums/{album_id}", params=params))

    def album_assets(self, album_id: str) -> list[ImmichAsset]:
        """Every asset of the album, whoever owns it, archived ones included; each once."""
        return self.album_with_assets(album_id)[1]

    def album_with_assets(
        self, album_id: str, listed: ImmichAlbum | None = None
    ) -> tuple[ImmichAlbum, list[ImmichAsset]]:
        """The album and its assets in the fewest calls the server version allows (on v3, the
        album itself is not asked for again when ``listed``, from ``albums()``, is given)."""
        if not self.is_v3:
            with _album_lookup(album_id):
                data = self._json("GET", f"/albums/{album_id}", params={"withoutAssets": "false"})
            return ImmichAlbum.from_api(data), unique(
                ImmichAsset.from_api(a) for a in data.get("assets") or []
            )
        # withExif gives sizes and descriptions but is an INNER join on exif rows, so assets not
        # yet through metadata extraction drop out; when the count falls short of the album's
        # assetCount, list again without it and fill the gaps.
        album = listed or self.album(album_id)  # first: an unknown id fails clearly here
        with_exif = unique(self._search_album(album_id, with_exif=True))
        if len(with_exif) >= album.asset_count:
            return album, with_exif
        known = {a.id for a in with_exif}
        rest = [a for a in self._search_album(album_id, with_exif=False) if a.id not in known]
        return album, unique([*with_exif, *rest])

    def asset(self, asset_id: str) -> ImmichAsset:
        """One asset (the motion part of a live photo is in no album listing)."""
        return ImmichAsset.from_api(self._json("GET", f"/assets/{asset_id}"))

    def _search_album(self, album_id: str, *, with_exif: bool) -> Iterator[ImmichAsset]:
        return self._search({"albumIds": [album_id]}, with_exif=with_exif, what=f"album {album_id}")


@contextmanager
def _album_lookup(album_id: str) -> Iterator[None]:
    """Immich answers 400 (not 404) for an album that is unknown or not shared with the key's user."""
    try:
        yield
    except RemoteError as exc:
        if exc.status != 400:
            raise
        raise NotFound(
            f"Immich has no album {album_id} visible to this API key; run `immich-gphotos albums` "
            "to list the albums, and `albums remove` for one that was deleted.",
            status=400,
            correlation_id=exc.correlation_id,
        ) from None
