"""Deterministic file contents for stand-in assets, generated block by block.

Large originals (50 MB to 2 GB) are never held in memory: any byte range is produced on demand
from the seed, so the stand-ins can serve Range requests and the benchmark can move big videos.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

BLOCK = 1 << 16


@dataclass
class Content:
    seed: str
    size: int
    _sha1: str | None = field(default=None, repr=False)

    def _block(self, index: int) -> bytes:
        data = random.Random(f"{self.seed}:{index}").randbytes(BLOCK)
        if index == 0:  # a recognisable header, so a stray file in a bug report is identifiable
            data = (b"IGP-STANDIN:" + self.seed.encode()[:40] + b"\n" + data)[:BLOCK]
        return data

    def iter_range(
        self, start: int = 0, end: int | None = None, chunk: int = BLOCK
    ) -> Iterator[bytes]:
        """Bytes ``start`` .. ``end`` (exclusive) in chunks of at most ``chunk``."""
        end = self.size if end is None else min(end, self.size)
        pos = start
        while pos < end:
            index, within = divmod(pos, BLOCK)
            piece = self._block(index)[within : within + min(chunk, end - pos)]
            yield piece
            pos += len(piece)

    def read(self) -> bytes:
        return b"".join(self.iter_range())

    @property
    def sha1_base64(self) -> str:
        """Immich's checksum: base64 of the SHA-1 of the whole file."""
        if self._sha1 is None:
            digest = hashlib.sha1()
            for piece in self.iter_range(chunk=1 << 20):
                digest.update(piece)
            self._sha1 = base64.b64encode(digest.digest()).decode("ascii")
        return self._sha1
