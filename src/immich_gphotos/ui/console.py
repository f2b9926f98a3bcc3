"""The two output streams. Rich only where a terminal is; plain text (no control characters) elsewhere."""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

from immich_gphotos.text import clean

if TYPE_CHECKING:
    from rich.console import Console


def is_tty(stream: object = None) -> bool:
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@cache
def stdout() -> Console:
    from rich.console import Console

    # soft_wrap: long lines (URLs, paths) are never broken, so they stay copyable
    return Console(highlight=False, soft_wrap=True, emoji=False)


def say_wrapped(lines: list[str], console: Console | None = None) -> None:
    """Prose lines: on a terminal wrapped at word boundaries to its width (the terminal itself
    would break words in two); plain and whole on a pipe."""
    if console is None and not is_tty():
        for line in lines:
            say(line)
        return
    from rich.console import Console
    from rich.text import Text

    console = console or Console(highlight=False, emoji=False)
    for line in lines:
        console.print(Text(line))  # words wrap whole; the text is never markup


def say(message: str) -> None:
    """A plain line on stdout (no markup interpretation, no wrapping)."""
    print(message, flush=True)


def warn(message: str) -> None:
    """One plain line on stderr. Error text can quote a server or an exception, so the line is
    made inert here as well (``text.clean`` changes nothing in text already clean)."""
    print(clean(message), file=sys.stderr, flush=True)
