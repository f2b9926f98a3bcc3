"""Pure: turn a NAME_OR_ID the user typed into one album id, or a usage error naming candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from immich_gphotos.errors import UsageError

MAX_LISTED = 15


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    aliases: tuple[str, ...] = ()  # other names it goes by (the state's, the Google title)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _listing(candidates: Sequence[Candidate]) -> str:
    shown = [f'"{c.name}" ({c.id})' for c in candidates[:MAX_LISTED]]
    more = len(candidates) - MAX_LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def resolve(query: str, candidates: Sequence[Candidate], what: str = "album") -> Candidate:
    """Exact id, then exact name, then a unique case-insensitive name prefix. ``what`` names the
    kind of thing in the messages ("album", "person", "tag")."""
    title, plural = what.capitalize(), "people" if what == "person" else f"{what}s"
    for c in candidates:
        if c.id == query:
            return c
    exact = [c for c in candidates if query in c.names]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise UsageError(
            f'{title} name "{query}" is ambiguous: {_listing(exact)}; give the {what} id instead.'
        )
    folded = query.casefold()
    prefixed = (
        [c for c in candidates if any(n.casefold().startswith(folded) for n in c.names)]
        if folded
        else []
    )
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        raise UsageError(
            f'{title} name "{query}" is ambiguous, it starts {len(prefixed)} names: {_listing(prefixed)}; '
            f"type more of the name or give the {what} id."
        )
    if not candidates:
        raise UsageError(f'No {what} matches "{query}": there are no {plural} to choose from.')
    raise UsageError(f'No {what} matches "{query}"; the {plural} are: {_listing(candidates)}.')
