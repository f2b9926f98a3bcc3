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


@app.command("smart")
def smart(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The Google album's title.")],
    person: Annotated[
        list[str] | None,
        typer.Option(
            "--person",
            metavar="NAME_OR_ID",
            help="An Immich person (repeatable): assets with any of them.",
        ),
    ] = None,
    all_people: Annotated[
        bool, typer.Option("--all-people", help="Only assets with all the --person people.")
    ] = False,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", metavar="VALUE_OR_ID", help='An Immich tag, like "Family/Kids" (repeatable).'
        ),
    ] = None,
    favorite: Annotated[bool, typer.Option("--favorite", help="Only favourites.")] = False,
    min_rating: Annotated[
        int | None, typer.Option("--min-rating", metavar="N", help="Rated N stars or more (1-5).")
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="DATE", help="Taken on or after (YYYY-MM-DD, UTC)."),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option("--before", metavar="DATE", help="Taken before (YYYY-MM-DD, UTC)."),
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", metavar="X", help="Taken in this country.")
    ] = None,
    city: Annotated[
        str | None, typer.Option("--city", metavar="X", help="Taken in this city.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--type", metavar="image|video", help="Only photos or videos.")
    ] = None,
    in_album: Annotated[
        list[str] | None,
        typer.Option(
            "--in-album", metavar="NAME_OR_ID", help="In any of these Immich albums (repeatable)."
        ),
    ] = None,
    not_in_any_album: Annotated[
        bool, typer.Option("--not-in-any-album", help="Only assets in no Immich album.")
    ] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Create a smart album: a Google album fed by an Immich search (or replace the criteria of
    the one with this TITLE). Every criterion given must hold. Prints how many assets match now
    and the Google requests the next sync would take."""
    from immich_gphotos.commands.connect import open_immich
    from immich_gphotos.commands.smart import Criteria, check, preview_lines, save_smart
    from immich_gphotos.ui.console import say

    criteria = Criteria(
        people=tuple(person or ()),
        all_people=all_people,
        tags=tuple(tag or ()),
        favorite=favorite,
        min_rating=min_rating,
        after=after,
        before=before,
        country=country,
        city=city,
        type=kind,
        in_albums=tuple(in_album or ()),
        not_in_any_album=not_in_any_album,
    )
    check(title, criteria)  # flags that contradict each other: exit 2 before Immich is asked
    local = config or ctx.meta.get("albums_config")
    settings = load_settings(ctx, local)
    with open_immich(settings) as immich:
        preview = save_smart(config_file(ctx, local), settings, immich, title, criteria)
    for line in preview_lines(preview):
        say(line)
