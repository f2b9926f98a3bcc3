"""Other people's text made inert: one sanitiser for every string that comes from outside.

Album names, file names, descriptions, user names and server error text are written by others
(an album shared with you is named by its owner). A terminal obeys escape sequences in them
(retitle, clear, hide text), a newline in them forges a line in the log or in cron mail, and a
bidirectional override makes a line read differently from what it holds. ``clean`` replaces each
such character with a visible stand-in, so the text still shows where something was:

- C0 controls U+0000-U+001F become their Unicode "control pictures" (ESC -> U+241B, LF -> U+240A,
  CR -> U+240D, BEL -> U+2407, TAB -> U+2409), DEL becomes U+2421;
- C1 controls U+0080-U+009F (CSI, OSC...), bidirectional embeddings, overrides and isolates
  (U+202A-U+202E, U+2066-U+2069) and the line/paragraph separators U+2028/U+2029 become U+FFFD.

This module imports nothing of the project: every layer may use it.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: REPLACEMENT for code in range(0x80, 0xA0)})
_TABLE.update({code: REPLACEMENT for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_TABLE.update({0x2028: REPLACEMENT, 0x2029: REPLACEMENT})


def clean(text: str) -> str:
    """``text`` with every control, bidi override and line separator replaced by a visible stand-in."""
    return text.translate(_TABLE)


def clean_opt(text: str | None) -> str | None:
    """``clean`` for optional fields."""
    return None if text is None else clean(text)


def is_clean(text: str) -> bool:
    """True when ``clean`` would change nothing."""
    return not any(ord(ch) in _TABLE for ch in text)
