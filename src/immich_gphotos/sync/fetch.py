"""Reading the selected albums from Immich before planning (reads only, no writes anywhere)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from immich_gphotos.config import AlbumSelection, SmartAlbum
from immich_gphotos.errors import AppError, AuthError, NotFound, Unreachable
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichAlbum, ImmichAsset
from immich_gphotos.sync.plan import AlbumSpec
from immich_gphotos.sync.smart import Directory, matching_assets

# The key or the server: when these fail for one album, nothing else will work either.
FATAL_FOR_ALL = (AuthError, Unreachable)


@dataclass
class Fetched:
    specs: list[AlbumSpec] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # album id -> why it could not be read
    albums: dict[str, ImmichAlbum] = field(default_factory=dict)  # as Immich's album list said


# Whether an album, as Immich's album list shows it, can go unlisted this run.
Unchanged = Callable[[ImmichAlbum, AlbumSelection], bool]


def fetch_albums(
    immich: ImmichClient,
    selection: list[AlbumSelection],
    smart: Sequence[SmartAlbum] = (),
    *,
    unchanged: Unchanged | None = None,
) -> Fetched:
    """Each selected album with its assets, then each smart album with what its search matches;
    an album Immich cannot give is noted, not fatal. With ``unchanged``, one ``GET /api/albums``
    first: an Immich album it approves of is not listed (its spec has no assets and
    ``listed=False``), and the others are listed without asking for the album again. A smart
    album has no count or timestamps to compare, so it is always searched."""
    fetched = Fetched()
    known = {a.id: a for a in immich.albums()} if unchanged is not None and selection else {}
    for selected in selection:
        seen = known.get(selected.immich_id)
        if seen is not None and unchanged is not None and unchanged(seen, selected):
            title = selected.google_title or seen.name
            fetched.specs.append(AlbumSpec(seen.id, seen.name, title, (), listed=False))
            fetched.albums[seen.id] = seen
            continue
        try:
            album, assets = immich.album_with_assets(selected.immich_id, seen)
        except FATAL_FOR_ALL:
            raise
        except NotFound:
            fetched.problems[selected.immich_id] = (
                f"Immich has no album {selected.immich_id} (deleted, or a wrong id in the config); "
                f"`immich-gphotos albums remove {selected.immich_id}` stops syncing it (its Google "
                "album is left as it is)"
            )
            continue
        except AppError as exc:
            fetched.problems[selected.immich_id] = exc.message
            continue
        title = selected.google_title or album.name
        fetched.specs.append(AlbumSpec(album.id, album.name, title, tuple(assets)))
        fetched.albums[album.id] = seen or album
    fetch_smart(immich, smart, fetched)
    return fetched


def fetch_smart(immich: ImmichClient, smart: Sequence[SmartAlbum], fetched: Fetched) -> None:
    """A smart album that names a person, tag or album Immich no longer has is not synced (so
    nothing leaves its Google album because a name went away) and is reported; a permission
    the key lacks (person.read, tag.read) ends the run (exit 4)."""
    directory = Directory(immich)
    for album in smart:
        try:
            gone = directory.missing(album)
            if gone:
                fetched.problems[album.id] = (
                    f"{', '.join(gone)} no longer exist(s) in Immich, so this smart album was not "
                    f'synced and nothing was removed; change its criteria with `immich-gphotos albums smart "{album.title}" ...` '
                    "(or `albums remove` it)"
                )
                continue
            assets = matching_assets(immich, album)
        except FATAL_FOR_ALL:
            raise
        except AppError as exc:
            fetched.problems[album.id] = exc.message
            continue
        fetched.specs.append(AlbumSpec(album.id, album.title, album.title, tuple(assets), "smart"))


def motion_parts(
    immich: ImmichClient, specs: list[AlbumSpec], live_photos: str
) -> dict[str, ImmichAsset]:
    """The motion videos of live photos, fetched only with still+video."""
    if live_photos != "still+video":
        return {}
    wanted = {a.live_photo_video_id for s in specs for a in s.assets if a.live_photo_video_id}
    found: dict[str, ImmichAsset] = {}
    for asset_id in sorted(wanted):
        try:
            found[asset_id] = immich.asset(asset_id)
        except FATAL_FOR_ALL:
            raise
        except AppError:
            continue  # a motion part Immich cannot give: the still goes alone
    return found
