"""Rendering is pure: album names are the user's text and never read as Rich markup."""

from __future__ import annotations

from rich.console import Console

from immich_gphotos.sync.report import AlbumResult, RunReport, album_line, human_bytes, summary_line
from immich_gphotos.ui.render import albums_table, when


def test_album_names_are_not_markup() -> None:
    console = Console(width=200, record=True)
    row = {
        "id": "a" * 36,
        "name": "[b]Trip[/b] [2024]",
        "owned": False,
        "owner": "Sam",
        "asset_count": 3,
        "last_change": "2024-01-01T10:00:00Z",
        "selected": True,
        "google_title": "[red]x",
        "last_synced": None,
    }
    console.print(albums_table([row]))
    text = console.export_text()
    assert "[b]Trip[/b] [2024] (shared by Sam)" in text and "[red]x" in text


def test_lines() -> None:
    report = RunReport(
        albums=[AlbumResult("id", "Family", "Family (Immich)", uploaded=3, bytes=2_500_000)]
    )
    assert album_line(report.albums[0]).startswith(
        'album "Family" -> "Family (Immich)": uploaded 3'
    )
    assert summary_line(report).endswith("exit 0")
    assert human_bytes(2_500_000) == "2.5 MB" and human_bytes(999) == "999 B"
    assert when(None) == "never" and when("not a date") == "not a date"
