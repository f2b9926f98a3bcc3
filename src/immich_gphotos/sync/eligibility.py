"""Pure: whether Google can take an asset, and if not, the reason recorded for it."""

from __future__ import annotations

from immich_gphotos.config import SyncSettings
from immich_gphotos.immich.models import ImmichAsset

MAX_PHOTO_BYTES = 200 * 1000 * 1000  # Google's limits: 200 MB per photo
MAX_VIDEO_BYTES = 20 * 1000 * 1000 * 1000  # and 20 GB per video

# What Google Photos accepts (upload-media guide), by file extension.
_PHOTOS = "avif bmp gif heic heif ico jpg jpeg jpe png tif tiff webp"
# "some RAW files": the common camera formats Google Photos lists as supported
_RAW = "dng cr2 cr3 crw nef nrw arw srf sr2 orf rw2 raf pef srw x3f 3fr erf kdc mrw"
PHOTO_EXTENSIONS = frozenset(f"{_PHOTOS} {_RAW}".split())
VIDEO_EXTENSIONS = frozenset(
    [
        "3gp",
        "3g2",
        "asf",
        "avi",
        "divx",
        "m2t",
        "m2ts",
        "m4v",
        "mkv",
        "mmv",
        "mod",
        "mov",
        "mp4",
        "mpg",
        "mpeg",
        "mts",
        "tod",
        "wmv",
    ]
)


def extension(file_name: str) -> str:
    dot = file_name.rfind(".")
    return file_name[dot + 1 :].lower() if dot > 0 else ""


def skip_reason(asset: ImmichAsset, sync: SyncSettings, size: int | None = None) -> str | None:
    """None when the asset should go to Google, else why not (stable text: status groups by it)."""
    if asset.trashed:
        return "trashed"
    if asset.archived and not sync.archived:
        return "archived"
    if asset.type == "VIDEO" and not sync.videos:
        return "videos disabled"
    ext = extension(asset.file_name)
    if asset.type == "IMAGE":
        accepted = ext in PHOTO_EXTENSIONS or (not ext and (asset.mime or "").startswith("image/"))
    elif asset.type == "VIDEO":
        accepted = ext in VIDEO_EXTENSIONS or (not ext and (asset.mime or "").startswith("video/"))
    else:
        accepted = False
    if not accepted:
        return f"unsupported type ({ext or asset.mime or asset.type.lower()})"
    size = asset.size if size is None else size
    if size is not None:
        if asset.type == "IMAGE" and size > MAX_PHOTO_BYTES:
            return "photo over 200 MB"
        if asset.type == "VIDEO" and size > MAX_VIDEO_BYTES:
            return "video over 20 GB"
    return None
