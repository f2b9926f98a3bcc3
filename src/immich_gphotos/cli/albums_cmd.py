"""`albums`: list Immich albums; `albums add` / `albums remove` change the selection in the config."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, config_file, load_settings

app = typer.Typer(
    help="List the Immich albums (owned and shared with you); add or remove albums from the sync.",
    invoke_without_command=True,
    no_args_is_help=False,
)

NamesArg = Annotated[
    list[str],
    typer.Argument(metavar="NAME_OR_ID...", help="Album names (exact, or a unique prefix) or ids."),
]


@app.callback()
def albums(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the list as one JSON array.")
    ] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """List the Immich albums: name, asset count, last change, whether selected, Google title, last sync.

    On a terminal, a table that fits its width (names are never cut; the id and dates give way
    first). Through a pipe, one line per album, tab-separated: name, assets, selected or -,
    Google title or -, last change, last sync, owner, id, Google link or -."""
    if ctx.invoked_subcommand is not None:
        ctx.meta["albums_config"] = config
        return
    from immich_gphotos.commands.albums import list_albums
    from immich_gphotos.commands.connect import open_immich
    from immich_gphotos.ui.console import is_tty, say, stdout
    from immich_gphotos.ui.render import albums_lines, albums_table

    settings = load_settings(ctx, config)
    with open_immich(settings) as immich:
        rows = list_albums(settings, immich)
    if as_json:
        say(json.dumps(rows, indent=2, default=str))
    elif not rows:
        say("No albums in Immich yet.")
    elif is_tty():
        console = stdout()
        console.print(albums_table(rows, console.width))
    else:  # a pipe: one plain line per album, name first, tab-separated
        for line in albums_lines(rows):
            say(line)


@app.command("add")
def add(
    ctx: typer.Context,
    names: NamesArg,
    title: Annotated[
        str | None,
        typer.Option(
            "--as", metavar="TITLE", help="Google album title (default: the Immich name)."
        ),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Select albums for sync (their Google albums are created by the next sync)."""
    from immich_gphotos.commands.albums import add_albums
    from immich_gphotos.commands.connect import open_immich
    from immich_gphotos.ui.console import say

    local = config or ctx.meta.get("albums_config")
    settings = load_settings(ctx, local)
    with open_immich(settings) as immich:
        for line in add_albums(config_file(ctx, local), settings, immich, names, title):
            say(line)


@app.command("remove")
def remove(
    ctx: typer.Context,
    names: NamesArg,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Deselect albums. Nothing is deleted in Google Photos; the albums there stay as they are."""
    from immich_gphotos.commands.albums import remove_albums
    from immich_gphotos.ui.console import say

    local = config or ctx.meta.get("albums_config")
    settings = load_settings(ctx, local)
    for line in remove_albums(config_file(ctx, local), settings, names):
        say(line)
