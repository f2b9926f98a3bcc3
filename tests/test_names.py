"""One way to name an album in every command: by id, live Immich name, the state's name, or the
Google title, so a rename in Immich strands no command."""

from __future__ import annotations

import json

from tests.inprocess import run_in_process
from tests.world import World


def test_after_a_rename_in_immich_every_command_knows_the_new_name(world3: World) -> None:
    assert world3.sync().returncode == 0
    world3.album("Garden").name = "Allotment"  # renamed in Immich after the first sync

    restricted = run_in_process("sync", "--album", "Allotment", "--json")
    assert restricted.returncode == 0, restricted.stderr
    assert [a["immich_id"] for a in json.loads(restricted.stdout)["albums"]] == [
        world3.album("Allotment").id
    ]
    by_old_name = run_in_process("sync", "--album", "Garden", "--json")  # as the state knew it
    assert by_old_name.returncode == 0, by_old_name.stderr

    removed = run_in_process("albums", "remove", "allot")  # a prefix of the new name
    assert removed.returncode == 0, removed.stderr
    assert world3.album("Allotment").id not in world3.config.read_text()


def test_an_unknown_name_lists_the_selected_albums_by_their_names(world3: World) -> None:
    result = run_in_process("sync", "--album", "Nowhere")
    assert result.returncode == 2
    assert "Holidays" in result.stderr and "Mixed Bag" in result.stderr
