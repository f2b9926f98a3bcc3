"""SyncRecords: the sync's view of the state (``ctx.records``), made of one mixin per job.

- ``snapshot.PlanReads``: the plan's snapshot and the library reads (no writes)
- ``parts.GoogleParts``: Google albums (parts) and their verification
- ``intents.Intents``: albums.create and batchCreate intents (crash safety)
- ``outcomes.Outcomes``: an album's members, its batches and removals (one transaction per batch)
- ``listings.Listings``: the no-op's album listings and when albums were last synced

Every write is a transaction of its own; each module's docstring says which writes share one.
"""

from __future__ import annotations

from immich_gphotos.state.google_albums import GoogleParts
from immich_gphotos.state.intents import Intents
from immich_gphotos.state.listings import Listings
from immich_gphotos.state.outcomes import Outcomes
from immich_gphotos.state.snapshot import PlanReads
from immich_gphotos.state.store import StateStore


class SyncRecords(PlanReads, GoogleParts, Intents, Outcomes, Listings):
    """The sync's reads and writes of the state; every batch is one transaction."""

    def __init__(self, store: StateStore) -> None:
        self.conn = store.conn
        self.notes = {}  # what each upload sent, recorded with its batch (outcomes.py)
