"""The live display and the summary of `sync` on a terminal, rendered at the widths people use:
nothing wraps, file names are shortened in the middle, items count as their uploads finish."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rich.console import Console

from immich_gphotos.sync.report import AlbumResult, RunReport
from immich_gphotos.ui.reporters import RichReporter, shorten_middle

PIXEL_NAMES = [  # real phones' names run to ~50 characters
    "PXL_20240612_093015123.NIGHT.RAW-02.ORIGINAL.jpg",
    "PXL_20240612_093015124.PORTRAIT-01.COVER.jpg",
    "PXL_20240612_101010555.LS.mp4",
    "IMG_1.jpg",
]


def _reporter(width: int) -> tuple[RichReporter, Console]:
    console = Console(width=width, record=True, color_system=None)
    reporter = RichReporter(console=console)
    reporter.progress.live.auto_refresh = False  # rendered below, by the test
    return reporter, console


def _live_area(reporter: RichReporter, width: int) -> list[str]:
    screen = Console(width=width, record=True, color_system=None)
    screen.print(reporter.progress.make_tasks_table(reporter.progress.tasks))
    return screen.export_text().splitlines()


@pytest.mark.parametrize("width", [60, 80, 100, 132])
def test_the_live_display_fits_every_width_without_wrapping(width: int) -> None:
    reporter, _ = _reporter(width)
    reporter.plan_ready(SimpleNamespace(uploads=204, adds=0, bytes=281_565_920))
    for i, name in enumerate(PIXEL_NAMES):
        size = 900_000_000 if name.endswith(".mp4") else 4_000_000
        reporter.transfer_started(str(i), name, size)
        reporter.transfer_progress(str(i), 2_100_000)
    lines = _live_area(reporter, width)
    reporter.progress.stop()

    assert len(lines) == 2 + len(PIXEL_NAMES), "one row per task: nothing wrapped"
    assert all(len(line.rstrip()) < width for line in lines), "\n".join(lines)
    assert lines[0].startswith("Items") and "0/204" in lines[0]
    assert lines[1].startswith("Bytes") and "281.6 MB" in lines[1]
    assert sum("ETA" in line for line in lines) == 1, "one ETA, on the bytes line"
    for name, line in zip(PIXEL_NAMES, lines[2:], strict=True):
        label = line[2:].split(" ")[0]
        if "…" in label:  # shortened in the middle: the start and the end (the extension) stay
            head, tail = label.split("…")
            assert name.startswith(head) and name.endswith(tail) and len(head) >= 5
            assert tail.endswith((".jpg", ".mp4"))
        else:
            assert label == name
    # the bars start in the same column on every row, whatever the names
    columns = {line.find("━") for line in lines[2:] if "━" in line}
    assert len(columns) == 1, "\n".join(lines)


def test_small_files_show_no_rate_of_their_own() -> None:
    reporter, _ = _reporter(100)
    reporter.plan_ready(SimpleNamespace(uploads=2, adds=0, bytes=8_000_000))
    reporter.transfer_started("a", "IMG_1.jpg", 4_000_000)
    reporter.transfer_progress("a", 4_000_000)
    [_, _, row] = _live_area(reporter, 100)
    reporter.progress.stop()
    assert "/s" not in row and "4.0 MB of 4.0 MB" in row


def test_items_count_as_their_uploads_finish_not_per_batch() -> None:
    reporter, _ = _reporter(80)
    reporter.plan_ready(SimpleNamespace(uploads=60, adds=4, bytes=60_000))
    items = reporter.progress.tasks[0]
    for i in range(3):
        reporter.transfer_started(str(i), f"IMG_{i}.jpg", 1000)
        reporter.transfer_done(str(i), ok=True)
    assert items.completed == 3, "counted as each upload finished"
    reporter.transfer_started("x", "BROKEN.jpg", 1000)
    reporter.transfer_done("x", ok=False)
    reporter.items_done(4)  # the batch of those four is placed (one of them failed)
    assert items.completed == 4, "the batch adds only what was not counted yet"
    reporter.items_done(4)  # four added by reference: no upload, counted with their batch
    assert items.completed == 8
    reporter.progress.stop()


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_summary_keeps_sizes_whole(width: int) -> None:
    reporter, console = _reporter(width)
    report = RunReport(
        albums=[
            AlbumResult("a", "Family", "Family (from Immich)", uploaded=204, bytes=133_700_000),
            AlbumResult(
                "b", "Trips 2024 — Lisbon and Porto", "Trips", uploaded=12345, bytes=12_300_000_000
            ),
        ]
    )
    reporter.run_done(report)
    text = console.export_text()
    assert "133.7 MB" in text and "12.3 GB" in text
    assert "12345" in text
    table = text.split("sync finished")[0]
    assert all(len(line.rstrip()) <= width for line in table.splitlines()), table


@pytest.mark.parametrize(
    ("name", "width", "expected"),
    [
        ("PXL_20240612_093015123.jpg", 17, "PXL_2024…5123.jpg"),
        ("short.jpg", 17, "short.jpg"),
        ("写真_2024_一月_家族旅行.jpg", 12, "写真_…行.jpg"),
    ],
)
def test_shorten_middle(name: str, width: int, expected: str) -> None:
    from rich.cells import cell_len

    assert shorten_middle(name, width) == expected
    assert cell_len(shorten_middle(name, width)) <= width
