"""The two output streams. Rich only where a terminal is; plain text (no control characters) elsewhere."""

from __future__ import annotations

import re
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


def say_wrapped(lines: list[str], width: int | None = None) -> None:
    """Prose lines: on a terminal wrapped between words to its width (a terminal breaks words in
    two), each continuation indented under its line; a long word such as a URL stays whole.
    Plain and whole on a pipe. ``width`` forces the wrapping (tests)."""
    if width is None:
        if not is_tty():
            for line in lines:
                say(line)
            return
        width = stdout().width
    for line in wrap_lines(lines, width):
        say(line)


_SIZE = re.compile(r"(\d) (B|kB|MB|GB|TB)\b")


def wrap_lines(lines: list[str], width: int) -> list[str]:
    import textwrap

    out: list[str] = []
    for line in lines:
        line = _SIZE.sub("\\1\u00a0\\2", line)  # "284.6 MB" is one word to the wrapper
        if len(line) < width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(
            line.strip(),
            width - 1,  # never the last cell: some terminals wrap a line that fills it
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [line]
    return [row.replace("\u00a0", " ") for row in out]


def say(message: str) -> None:
    """A plain line on stdout (no markup interpretation, no wrapping)."""
    print(message, flush=True)


def warn(message: str) -> None:
    """One plain line on stderr. Error text can quote a server or an exception, so the line is
    made inert here as well (``text.clean`` changes nothing in text already clean)."""
    print(clean(message), file=sys.stderr, flush=True)
