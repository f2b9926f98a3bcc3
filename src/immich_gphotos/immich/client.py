"""ImmichClient: version-aware calls for Immich v2.x and v3.x, with typed errors and retries.

The one class callers use, made of one mixin per job, each in its own module:

- ``sending.Sender``: the connection and the request pipeline (``_send``, ``_json``: retried by
  ``immich_retry_policy``, errors typed); every call goes through it
- ``server.ServerInfo``: the server's version, the supported check, the key's permissions, the user
- ``metadata_search.MetadataSearch``: ``POST /search/metadata`` paged to the end (flat fields and
  page numbers before 3.2, the ``filter`` tree and cursors from 3.2); smart albums' searches
- ``album_reads.AlbumReads``: albums and their contents, by server version
- ``people_tags.PeopleAndTags``: people and tags, which smart album criteria name
- ``originals.Originals``: an asset's original or edited rendition, streamed

v2 and v3 differ where it matters (see shared/notes/immich-api.md):
- v2 ``GET /albums`` lists owned albums only; shared-with-me ones need ``?shared=true``.
  v3 lists every album the user belongs to in one call.
- v2 ``/search/metadata`` returns only the caller's own timeline assets, so v2 album contents come
  from ``GET /albums/{id}``; v3 dropped ``assets`` from album responses, so v3 pages
  ``POST /search/metadata`` with one ``albumIds`` entry; from 3.2, where the flat fields are
  deprecated, with the ``filter`` tree, paged by cursor.
"""

from __future__ import annotations

from immich_gphotos.immich.album_reads import AlbumReads
from immich_gphotos.immich.originals import Originals
from immich_gphotos.immich.people_tags import PeopleAndTags
from immich_gphotos.immich.sending import immich_retry_policy

__all__ = ["ImmichClient", "immich_retry_policy"]


class ImmichClient(AlbumReads, PeopleAndTags, Originals):
    """An Immich server, v2 or v3, through one API key (``with`` closes its connection)."""
