"""Pure: turn a NAME_OR_ID the user typed into one album id, or a usage error naming candidates."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from immich_gphotos.errors import UsageError

MAX_LISTED = 15
_PLAIN = re.compile(r"[\w@%+=:,./-]+")
_DOUBLE_QUOTABLE = re.compile(r'[^"$`\\!]*')


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    aliases: tuple[str, ...] = ()  # other names it goes by (the state's, the Google title)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def shell_quote(name: str) -> str:
    """A name as it must be typed in a shell: bare when safe, else in double quotes where they
    suffice (what people expect to see), else in single quotes."""
    if _PLAIN.fullmatch(name):
        return name
    if _DOUBLE_QUOTABLE.fullmatch(name):
        return f'"{name}"'
    return shlex.quote(name)


def _listing(candidates: Sequence[Candidate]) -> str:
    shown = [f'"{c.name}" ({c.id})' for c in candidates[:MAX_LISTED]]
    more = len(candidates) - MAX_LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _ambiguous(query: str, matches: Sequence[Candidate], what: str = "album") -> UsageError:
    return UsageError(
        f'{what.capitalize()} name "{query}" is ambiguous: {_listing(matches)}; give the {what} id instead.'
    )


def resolve(query: str, candidates: Sequence[Candidate], what: str = "album") -> Candidate:
    """Exact id, then exact name, then a case-insensitive exact name (so "family" picks "Family"
    over "Family 2023"), then a unique case-insensitive name prefix. ``what`` names the kind of
    thing in the messages ("album", "person", "tag")."""
    title, plural = what.capitalize(), "people" if what == "person" else f"{what}s"
    for c in candidates:
        if c.id == query:
            return c
    exact = [c for c in candidates if query in c.names]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise _ambiguous(query, exact, what)
    folded = query.casefold()
    same = [c for c in candidates if folded and any(n.casefold() == folded for n in c.names)]
    if len(same) == 1:
        return same[0]
    if len(same) > 1:
        raise _ambiguous(query, same, what)
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


def resolve_words(
    words: Sequence[str], candidates: Sequence[Candidate], what: str = "album"
) -> list[Candidate]:
    """Every name resolved (all or nothing), each album once, in the order given.

    A name with spaces typed without quotes reaches us as several words; when one of them fails
    and adjacent words joined with spaces name an album exactly (any case), the error says to
    quote it instead of only "no album matches"."""
    chosen: list[Candidate] = []
    for word in words:
        try:
            chosen.append(resolve(word, candidates, what))
        except UsageError as exc:
            joined = _joined_name(words, candidates)
            if joined is None:
                raise
            raise UsageError(
                f"{exc.message.rstrip('.')}. A name with spaces must be quoted, or the shell "
                f"splits it into words: write {shell_quote(joined)}."
            ) from None
    return list(dict.fromkeys(chosen))


def _joined_name(words: Sequence[str], candidates: Sequence[Candidate]) -> str | None:
    """The longest run of two or more adjacent words that, joined by spaces, is an album name."""
    names = {n.casefold(): n for c in candidates for n in c.names}
    for length in range(len(words), 1, -1):
        for start in range(len(words) - length + 1):
            found = names.get(" ".join(words[start : start + length]).casefold())
            if found is not None:
                return found
    return None
