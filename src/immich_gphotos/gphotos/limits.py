"""Google Photos Library API limits and our protocol choices, shared by the client and the planner."""

MAX_BATCH = 50  # items per batchCreate / batchAddMediaItems / batchRemoveMediaItems
ALBUM_LIMIT = 20_000  # items per album
RAW_UPLOAD_LIMIT = 32 * 1024 * 1024  # above this, the resumable protocol (videos, big RAWs)
RESUMABLE_REQUESTS = 2  # start, then the whole file in one "upload, finalize" request
MAX_DESCRIPTION = 999  # "must be shorter than 1000 characters"
MAX_FILE_NAME = 255
MAX_TITLE = 500
