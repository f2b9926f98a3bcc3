"""Pure name matching: exact id, exact name, then a unique case-insensitive prefix."""

from __future__ import annotations

import pytest

from immich_gphotos.errors import UsageError
from immich_gphotos.selection import Candidate, resolve, resolve_words, shell_quote

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


FAMILY = [Candidate("id-f", "Family"), Candidate("id-f23", "Family 2023")]


@pytest.mark.parametrize("query", ["family", "FAMILY", "Family"])
def test_an_exact_name_in_any_case_wins_over_prefixes(query: str) -> None:
    """Typing more cannot resolve "family" when "Family 2023" exists: the exact name must win."""
    assert resolve(query, FAMILY).id == "id-f"
    assert resolve("family 2", FAMILY).id == "id-f23"


def test_names_differing_only_in_case_are_ambiguous_unless_typed_exactly() -> None:
    albums = [Candidate("id-a", "Trips"), Candidate("id-b", "trips")]
    assert resolve("trips", albums).id == "id-b"
    with pytest.raises(UsageError, match="ambiguous"):
        resolve("TRIPS", albums)


def test_unquoted_words_that_name_an_album_are_answered_with_quotes() -> None:
    albums = [Candidate("id-t", "Trips 2024"), Candidate("id-g", "Garden")]
    with pytest.raises(UsageError) as caught:
        resolve_words(["Trips", "2024"], albums)
    message = str(caught.value)
    assert 'No album matches "2024"' in message
    assert 'write "Trips 2024"' in message and "quoted" in message
    # a genuine unknown name says nothing about quoting
    with pytest.raises(UsageError) as unknown:
        resolve_words(["Garden", "Beach"], albums)
    assert "quoted" not in str(unknown.value)


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Family", "Family"),
        ("Trips 2024", '"Trips 2024"'),
        ("Sam's Garden", '"Sam\'s Garden"'),
        ('Say "hi" $HOME', "'Say \"hi\" $HOME'"),
    ],
)
def test_shell_quote_gives_what_a_shell_reads_back(name: str, typed: str) -> None:
    import shlex

    assert shell_quote(name) == typed
    assert shlex.split(typed) == [name]
