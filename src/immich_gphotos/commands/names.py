"""NAME_OR_ID → album, the same way in every command: the candidates come from here.

An album is known by its id, its live Immich name, the name the state last saw, and its Google
title; any of them selects it, so a rename in Immich never strands a command.
"""

from __future__ import annotations

from collections.abc import Iterable

from immich_gphotos.config import AlbumSelection, Settings, SmartAlbum
from immich_gphotos.errors import AppError, UsageError
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.selection import Candidate, resolve_words, shell_quote
from immich_gphotos.state.store import StateStore


def immich_candidates(immich: ImmichClient) -> list[Candidate]:
    """Every album the key can see (owned and shared with me): for `albums add`."""
    return [Candidate(a.id, a.name) for a in immich.albums()]


def selected_candidates(
    settings: Settings, state: StateStore, immich: ImmichClient | None = None
) -> list[Candidate]:
    """The selected albums, each under every name it goes by. Immich is asked for live names
    when a client is given; when it cannot answer, the state's names and the titles still work."""
    live: dict[str, str] = {}
    if immich is not None:
        try:
            live = {a.id: a.name for a in immich.albums()}
        except AppError:
            live = {}
    candidates = []
    for album in settings.albums:
        recorded = state.album_counts(album.immich_id).name
        names = [n for n in (live.get(album.immich_id), recorded, album.google_title) if n]
        primary = names[0] if names else album.immich_id
        aliases = tuple(dict.fromkeys(n for n in names[1:] if n != primary))
        candidates.append(Candidate(album.immich_id, primary, aliases))
    # smart albums go by their title (and their "smart-..." id)
    candidates += [Candidate(smart.id, smart.title) for smart in settings.smart_albums]
    return candidates


def resolve_all(
    wanted: Iterable[str], candidates: list[Candidate], what: str = "album"
) -> list[Candidate]:
    """Every name resolved first (all or nothing), each album once, in the order given; an
    unquoted name with spaces is answered with the quoting that works."""
    return resolve_words(list(wanted), candidates, what)


def resolve_selected(
    settings: Settings,
    state: StateStore,
    wanted: Iterable[str],
    immich: ImmichClient | None = None,
) -> list[Candidate]:
    """Names among the selected albums. A name that is no selected album but is an Immich album
    says so ("not selected; `albums add` it first") instead of "no album matches"."""
    wanted = list(wanted)
    candidates = selected_candidates(settings, state, immich)
    try:
        return resolve_all(wanted, candidates)
    except UsageError as exc:
        if immich is None or not exc.message.startswith("No album matches"):
            raise
        try:
            known = immich_candidates(immich)
        except AppError:
            raise exc from None
        for word in wanted:
            try:
                resolve_words([word], candidates)
                continue
            except UsageError:
                pass
            try:
                album = resolve_words([word], known)[0]
            except UsageError:
                continue
            raise UsageError(
                f'The album "{album.name}" is not selected; `immich-gphotos albums add '
                f"{shell_quote(album.name)}` it first, then sync it."
            ) from None
        raise


def chosen_albums(
    settings: Settings, state: StateStore, immich: ImmichClient | None, wanted: Iterable[str]
) -> tuple[list[AlbumSelection], list[SmartAlbum]]:
    """The albums and smart albums a run works on: all selected, or those ``--album`` names
    (either kind), in the config's order."""
    wanted = list(wanted)
    if not wanted:
        return list(settings.albums), list(settings.smart_albums)
    chosen = {c.id for c in resolve_selected(settings, state, wanted, immich)}
    return (
        [a for a in settings.albums if a.immich_id in chosen],
        [s for s in settings.smart_albums if s.id in chosen],
    )
