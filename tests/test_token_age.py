"""Google's upload tokens live a day: the pipeline's two guards on their age (``sync.pipeline``),
driven by a fake clock the run is given through ``Wiring.monotonic`` and moved on from the
stand-ins' hooks, so hours pass in no time and nothing sleeps.

TOKEN_MAX_AGE: a token older than that is never used in a batchCreate; the item is uploaded
again. TOKEN_HOLD: once the oldest token waiting for its batch is older than that, uploads stop
running ahead and only the next batch's items start.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync import pipeline
from immich_gphotos.sync.context import RunContext
from immich_gphotos.sync.pipeline import TOKEN_HOLD, TOKEN_MAX_AGE
from immich_gphotos.sync.uploads import Admit, Transfers
from tests.helpers import run_cli
from tests.inprocess import fast_wiring, run_in_process
from tests.standins.immich import Asset
from tests.world import World

HOUR = 3600.0


class FakeClock:
    """A monotonic clock that moves only when told (read from the upload workers too)."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def _album(world: World, name: str, count: int) -> list[Asset]:
    lib = world.scenario.library
    album = lib.add_album(name, world.scenario.me)
    assets = [
        lib.add_asset(world.scenario.me, f"{name}_{i:03d}.jpg", albums=[album])
        for i in range(count)
    ]
    assert run_cli("albums", "add", name).returncode == 0
    return assets


def _sync(clock: FakeClock, *args: str) -> subprocess.CompletedProcess[str]:
    return run_in_process("sync", *args, "--json", wiring=replace(fast_wiring(), monotonic=clock))


def _on_first_original(world: World, asset: Asset, then: Callable[[], None]) -> None:
    """Call ``then()`` once, when the original of ``asset`` is first asked for."""
    done = threading.Event()

    def hook(asset_id: str) -> None:
        if asset_id == asset.id and not done.is_set():
            done.set()
            then()

    world.immich.on_original = hook


def _uploaded(world: World, assets: list[Asset]) -> list[str]:
    """The asset ids of every upload Google has received so far (each upload once)."""
    shown = {world.shown(a): a.id for a in assets}
    with world.google.lock:
        return [shown[u.sha1] for u in world.google.uploads.values()]


def _state_of(world: World, assets: list[Asset]) -> dict[str, tuple[str, str | None]]:
    """asset id -> (status, Google media item id) as the state records them."""
    ids = [a.id for a in assets]
    with world.state() as db:
        rows = db.execute(
            f"SELECT immich_id, status, google_media_item_id FROM assets "
            f"WHERE immich_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_token_past_its_max_age_is_uploaded_again_and_placed_once(world3: World) -> None:
    """The oldest photo's token grows older than TOKEN_MAX_AGE before its batchCreate (the day
    passes while the next one is read from Immich): it is not used; the photo is uploaded again
    and placed once, in its capture position."""
    clock = FakeClock()
    assets = _album(world3, "Slow", 3)
    _on_first_original(world3, assets[1], then=lambda: clock.advance(TOKEN_MAX_AGE + HOUR))
    result = _sync(clock, "--album", "Slow", "--concurrency", "1")
    assert result.returncode == 0, result.stderr + result.stdout
    assert json.loads(result.stdout)["uploaded"] == 3

    world3.assert_mirrored("Slow")  # each photo once, in capture order
    assert Counter(_uploaded(world3, assets)) == {
        assets[0].id: 2,
        assets[1].id: 1,
        assets[2].id: 1,
    }, "the photo whose token grew too old was uploaded again, no other"
    unused = [u.sha1 for u in world3.google.uploads.values() if not u.used]
    assert unused == [world3.shown(assets[0])], "the token past its age went unused"

    placed = {m.sha1: m.id for m in world3.google.album_files(world3.google_album("Slow").id)}
    assert _state_of(world3, assets) == {
        a.id: ("uploaded", placed[world3.shown(a)]) for a in assets
    }


def _creates(world: World) -> int:
    return sum(1 for _, path in world.google.requests if path.endswith(":batchCreate"))


@dataclass
class _Moment:
    """What had happened when the stalled photo was let go, and why it was."""

    why: str = ""  # "held": an upload was held back; "ran ahead": one past the batch started
    originals: set[str] = field(default_factory=set)  # asset ids Immich was asked for
    google: Counter[str] = field(default_factory=Counter)  # asset id -> uploads Google received


def test_past_token_hold_only_the_next_batchs_items_start(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest photo's download stalls while the other worker runs ahead; hours pass, and
    the oldest token waiting (the second photo's) grows older than TOKEN_HOLD. From then on
    nothing past the first batch (the first 50) may start: at the moment an upload is held
    back, Google has received the first batch's uploads and nothing else. The stalled photo is
    then let go, and the run ends with the album complete, in capture order, no upload wasted."""
    clock = FakeClock()
    assets = _album(world3, "Many", 60)
    first_batch, beyond = assets[:50], assets[50:]
    stalled = threading.Event()
    world3.immich.held_assets[assets[0].id] = stalled
    moment = _Moment()
    once = threading.Lock()

    def let_go(why: str) -> None:
        with once:
            if not moment.why:
                moment.why = why
                moment.originals = {asset_id for asset_id, _ in list(world3.immich.ranges)}
                moment.google = Counter(_uploaded(world3, assets))
                stalled.set()

    def on_original(asset_id: str) -> None:
        if asset_id == assets[2].id:  # the second photo's token is made: hours go by
            clock.advance(TOKEN_HOLD + HOUR)
        if asset_id == beyond[1].id:  # two items past the first batch started: it ran ahead
            let_go("ran ahead")

    world3.immich.on_original = on_original

    class Watched(Transfers):
        """The pool the pipeline makes; tells when the pipeline holds an upload back."""

        def __init__(
            self, ctx: RunContext, todo: list[ImmichAsset], admit: Callable[[ImmichAsset], Admit]
        ) -> None:
            def watched(asset: ImmichAsset) -> Admit:
                verdict = admit(asset)
                if verdict is Admit.WAIT:
                    let_go("held")
                return verdict

            super().__init__(ctx, todo, watched)

    monkeypatch.setattr(pipeline, "Transfers", Watched)
    result = _sync(clock, "--album", "Many", "--concurrency", "2")
    assert result.returncode == 0, result.stderr + result.stdout

    assert moment.originals <= {a.id for a in first_batch}, (
        "no original past the first batch was read while its oldest token waited"
    )
    assert moment.google == Counter(a.id for a in first_batch[1:]), (
        "when the hold applied, Google had each upload of the first batch but the stalled one"
    )
    assert moment.why == "held"

    world3.assert_mirrored("Many")
    assert Counter(_uploaded(world3, assets)) == Counter(a.id for a in assets), "one upload each"
    assert all(u.used for u in world3.google.uploads.values()), "every token went into a batch"
    assert _creates(world3) == 2, "full batches of 50 still: one of 50, one of 10"
    assert json.loads(result.stdout)["uploaded"] == 60
    assert set(_state_of(world3, assets).values()) == {
        ("uploaded", m.id) for m in world3.google.album_files(world3.google_album("Many").id)
    }
