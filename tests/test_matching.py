"""The one matcher (sync/matching.py) in its strict form, as `check --repair` adopts with it:
file name and capture time, never a name alone where the file carries a capture time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from immich_gphotos.gphotos.models import MediaItem
from immich_gphotos.sync.matching import match

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class A:
    id: str
    file_name: str
    file_created_at: datetime
    captured_at: datetime | None


def _at(seconds: float) -> datetime:
    return NOON + timedelta(seconds=seconds)


def _item(item_id: str, name: str, seconds: float | None) -> MediaItem:
    return MediaItem(item_id, name, "image/jpeg", None, None if seconds is None else _at(seconds))


def test_strict_needs_the_capture_time_where_the_file_has_one() -> None:
    asset = A("a", "IMG_1.jpg", _at(0), _at(0))
    assert match([asset], [_item("m", "IMG_1.jpg", 0.4)], set(), strict=True) == {"a": "m"}
    moved = [_item("m", "IMG_1.jpg", 3600)]  # same name, another moment: another photo
    assert match([asset], moved, set(), strict=True) == {}
    assert match([asset], moved, set()) == {"a": "m"}, "recovery's lenient rule pairs one to one"


def test_strict_accepts_either_immich_time() -> None:
    """Google reads EXIF; Immich's fileCreatedAt may differ from dateTimeOriginal (a copied file)."""
    asset = A("a", "IMG_1.jpg", _at(86_400), _at(0))
    assert match([asset], [_item("m", "IMG_1.jpg", 1)], set(), strict=True) == {"a": "m"}
    no_exif = A("b", "IMG_2.jpg", _at(0), None)
    assert match([no_exif], [_item("n", "IMG_2.jpg", 1)], set(), strict=True) == {"b": "n"}


def test_strict_pairs_a_file_without_capture_time_only_one_to_one() -> None:
    screenshot = A("a", "Screenshot.png", _at(0), None)
    uploaded_later = [_item("m", "Screenshot.png", 7 * 86_400)]  # Google had no EXIF to read
    assert match([screenshot], uploaded_later, set(), strict=True) == {"a": "m"}
    two = [_item("m", "Screenshot.png", 99_999), _item("n", "Screenshot.png", 88_888)]
    assert match([screenshot], two, set(), strict=True) == {}, "which one is unknowable"
    twins = [screenshot, A("b", "Screenshot.png", _at(5), None)]
    assert match(twins, uploaded_later, set(), strict=True) == {}


def test_strict_tells_same_named_files_apart_by_time_and_skips_known_items() -> None:
    assets = [A(f"a{i}", "IMG_0001.jpg", _at(i * 60), _at(i * 60)) for i in range(3)]
    items = [
        _item("m2", "IMG_0001.jpg", 120),
        _item("m0", "IMG_0001.jpg", 0),
        _item("old", "IMG_0001.jpg", 60),
    ]
    assert match(assets, items, {"old"}, strict=True) == {"a0": "m0", "a2": "m2"}
