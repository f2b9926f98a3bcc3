"""Pure name matching: exact id, exact name, then a unique case-insensitive prefix."""

from __future__ import annotations

import pytest

from immich_gphotos.errors import UsageError
from immich_gphotos.selection import Candidate, resolve

ALBUMS = [
    Candidate("id-1", "Holidays"),
    Candidate("id-2", "Holidays 2023"),
    Candidate("id-3", "Garden"),
    Candidate("id-4", "garden party"),
    Candidate("id-5", "Twins"),
    Candidate("id-6", "Twins"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id-3", "id-3"),
        ("Holidays", "id-1"),
        ("Garden", "id-3"),
        ("holidays 2", "id-2"),
        ("GARDEN P", "id-4"),
    ],
)
def test_resolves(query: str, expected: str) -> None:
    assert resolve(query, ALBUMS).id == expected


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("holi", ['"Holidays"', '"Holidays 2023"']),
        ("Twins", ["id-5", "id-6"]),
        ("gard", ['"Garden"', '"garden party"']),
    ],
)
def test_ambiguous_lists_candidates(query: str, mentions: list[str]) -> None:
    with pytest.raises(UsageError, match="ambiguous") as caught:
        resolve(query, ALBUMS)
    assert caught.value.exit_code == 2
    for text in mentions:
        assert text in str(caught.value)


def test_unknown_lists_all() -> None:
    with pytest.raises(UsageError, match='No album matches "Beach"') as caught:
        resolve("Beach", ALBUMS)
    assert '"Garden"' in str(caught.value)


def test_empty_query_matches_nothing() -> None:
    with pytest.raises(UsageError):
        resolve("", ALBUMS)
