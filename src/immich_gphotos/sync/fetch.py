"""Reading the selected albums from Immich before planning (reads only, no writes anywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from immich_gphotos.config import AlbumSelection, SmartAlbum
from immich_gphotos.errors import AppError, AuthError, NotFound, Unreachable
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync.plan import AlbumSpec
from immich_gphotos.sync.smart import Directory, matching_assets

# The key or the server: when these fail for one album, nothing else will work either.
FATAL_FOR_ALL = (AuthError, Unreachable)


@dataclass
class Fetched:
    specs: list[AlbumSpec] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # album id -> why it could not be read


def fetch_albums(
    immich: ImmichClient, selection: list[AlbumSelection], smart: Sequence[SmartAlbum] = ()
) -> Fetched:
    """Each selected album with its assets, then each smart album with what its search matches;
    an album Immich cannot give is noted, not fatal."""
    fetched = Fetched()
    for selected in selection:
        try:
            album, assets = immich.album_with_assets(selected.immich_id)
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
