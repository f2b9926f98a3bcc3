"""The people and tags of the key's user: what a smart album's criteria name, turned into the
ids its searches (``metadata_search``) use."""

from __future__ import annotations

from immich_gphotos.immich.metadata_search import PAGE_SIZE
from immich_gphotos.immich.models import ImmichPerson, ImmichTag
from immich_gphotos.immich.sending import Sender


class PeopleAndTags(Sender):
    """Every person and every tag, each once."""

    def people(self) -> list[ImmichPerson]:
        """Every person of the key's user, hidden ones included (``person.read``), paged."""
        found: dict[str, ImmichPerson] = {}
        page = 1
        while True:
            params = {"page": page, "size": PAGE_SIZE, "withHidden": "true"}
            data = self._json("GET", "/people", params=params)
            for raw in data.get("people") or []:
                person = ImmichPerson.from_api(raw)
                found.setdefault(person.id, person)
            if not data.get("hasNextPage") or not data.get("people"):
                return list(found.values())
            page += 1

    def tags(self) -> list[ImmichTag]:
        """Every tag of the key's user (``tag.read``)."""
        return [ImmichTag.from_api(t) for t in self._json("GET", "/tags")]
