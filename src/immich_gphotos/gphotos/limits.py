"""Google Photos Library API limits and our protocol choices, shared by the client and the planner."""

from collections.abc import Sequence

MAX_BATCH = 50  # items per batchCreate / batchAddMediaItems / batchRemoveMediaItems
ALBUM_LIMIT = 20_000  # items per album
RAW_UPLOAD_LIMIT = 32 * 1024 * 1024  # above this, the resumable protocol (videos, big RAWs)
RESUMABLE_REQUESTS = 2  # start, then the whole file in one "upload, finalize" request
MAX_DESCRIPTION = 999  # "must be shorter than 1000 characters"
MAX_FILE_NAME = 255
MAX_TITLE = 500
ALBUMS_PAGE = 50  # albums.list: at most 50 a page
ITEMS_PAGE = 100  # mediaItems.search: at most 100 a page
MAX_ALBUMS = 20_000  # far more albums than one app makes: a bound for listing them
MAX_ALBUM_PAGES = MAX_ALBUMS // ALBUMS_PAGE + 10  # past this a listing never ends: an error
PAGES_MARGIN = 10  # pages beyond what a list can fill, before it counts as never ending


def check_batch(items: Sequence[object]) -> None:
    """A programming error, not Google's: a batch call given none, or more than it takes."""
    if not 0 < len(items) <= MAX_BATCH:
        raise ValueError(f"a Google batch takes 1 to {MAX_BATCH} items, not {len(items)}")
