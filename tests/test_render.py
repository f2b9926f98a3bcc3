"""Rendering is pure: album names are the user's text and never read as Rich markup."""

from __future__ import annotations

import pytest
from rich.console import Console

from immich_gphotos.sync.report import AlbumResult, RunReport, album_line, human_bytes, summary_line
from immich_gphotos.ui.render import albums_lines, albums_table, when


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
    console.print(albums_table([row], console.width))
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


def _album_rows() -> list[dict]:
    rows = []
    names = [
        ("Family", True, True),
        ("Family 2023", True, False),
        ("Garden", False, True),
        ("Trips 2024 — Lisbon, Porto and the Douro valley", True, True),
        ("[b]Markup[/b] [2024]", True, False),
    ]
    for i, (name, owned, selected) in enumerate(names):
        rows.append(
            {
                "id": f"{i:08d}-1111-4222-8333-444444444444",
                "name": name,
                "owned": owned,
                "owner": "Sam Friend",
                "asset_count": 1200 + i,
                "last_change": "2024-06-01T10:00:00Z",
                "selected": selected,
                "google_title": name if selected else None,
                "last_synced": "2024-06-02T10:00:00Z" if selected else None,
                "google_url": "https://photos.google.com/lr/album/AF1Qip" + "x" * 40
                if selected
                else None,
            }
        )
    return rows


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_albums_table_fits_the_width_and_never_cuts_a_name(width: int) -> None:
    rows = _album_rows()
    console = Console(width=width, record=True)
    console.print(albums_table(rows, width))
    text = console.export_text()
    lines = text.splitlines()
    assert all(len(line.rstrip()) <= width for line in lines), text
    assert "…" not in text, "nothing is cut short"
    flat = " ".join(" ".join(cell.strip() for cell in line.split("│")) for line in lines)
    for row in rows:
        for word in row["name"].split():
            assert word in flat, (word, text)
        if len(row["name"]) <= 20:  # a short name is whole on its row, so `grep` finds it
            assert any(f"│ {row['name']}" in line for line in lines), (row["name"], text)
    # the counts and the selection are always shown; the id gives way first
    assert "1203" in text and "yes" in text
    if width >= 200:
        assert rows[0]["id"] in text and "2024-06-02" in text
    if width <= 100:
        assert rows[0]["id"] not in text and "albums --json" in text
    if width >= 100:
        assert "2024-06-01" in text and "2024-06-02" in text


def test_albums_on_a_pipe_are_plain_lines_name_first() -> None:
    rows = _album_rows()
    lines = albums_lines(rows)
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        fields = line.split("\t")
        assert fields[0] == row["name"] and fields[1] == str(row["asset_count"])
        assert fields[7] == row["id"]
        assert fields[2] == ("selected" if row["selected"] else "-")
        assert fields[8] == (row["google_url"] or "-")
    assert lines[2].split("\t")[6] == "shared by Sam Friend"


@pytest.mark.parametrize("width", [60, 76])
def test_prose_lines_wrap_between_words_on_a_terminal(capsys, width: int) -> None:  # type: ignore[no-untyped-def]
    """`sync --dry-run` and `status` lines: the terminal would cut "2026-11-30" in two."""
    from immich_gphotos.ui.console import say_wrapped

    line = (
        'album "Trips 2024 — Lisbon" -> "Trips 2024 — Lisbon": 204 to upload (281.6 MB), '
        "0 to add by reference, 3 skipped (3 unsupported file type), 12 in sync; last sync "
        "2026-11-30 05:35"
    )
    url = "    https://photos.google.com/lr/album/AF1Qip" + "x" * 60
    say_wrapped(["  " + line, url], width=width)
    printed = capsys.readouterr().out.splitlines()
    assert all(len(row) < width for row in printed[:-1]) and len(printed) > 2
    assert [w for row in printed[:-1] for w in row.split()] == line.split(), "no word cut"
    assert all(row.startswith("      ") for row in printed[1:-1]), "continuations indented"
    assert printed[-1] == url, "a URL stays whole, to be opened or copied"
    assert not any(row.endswith("281.6") for row in printed), "a size is never cut from its unit"


def test_plain_lines_carry_local_time_with_its_offset(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One clock for people: cron lines, the log file and `status` all show local time."""
    import io
    import time
    from datetime import datetime

    from immich_gphotos.ui.reporters import PlainReporter

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        out = io.StringIO()
        PlainReporter(stream=out, log_stream=out).log("hello")
        stamp = out.getvalue().split()[0]
        assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 5.5 * 3600
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
