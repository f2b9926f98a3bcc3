"""The command line: parse, call one core function, print. ``main`` is the only ``sys.exit``."""

from __future__ import annotations

import json
import sys
import traceback
from typing import TYPE_CHECKING

from immich_gphotos.errors import AppError, ExitCode, exit_status_help

if TYPE_CHECKING:
    from immich_gphotos.commands.wiring import Wiring

EXIT_STATUS_HELP = exit_status_help()


def main(argv: list[str] | None = None) -> None:
    from immich_gphotos import signals

    # first, so a signal during start-up is an exit 130 too, not a traceback or a bare -15
    signals.install(notice=_say_stopping)
    args = sys.argv[1:] if argv is None else argv
    signals.on_hard_exit(lambda: _say_hard_exit(wants_json(args)))
    try:
        code = run(args, "--debug" in args)
    except KeyboardInterrupt as exc:  # landed in `run` itself, outside the command
        code = _interrupted(exc, args)
    signals.ignore_from_now()
    sys.exit(code)


def wants_json(args: list[str]) -> bool:
    """--json among the options (not after a ``--``): failures then print a JSON object too."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options


def run(args: list[str], debug: bool = False, wiring: Wiring | None = None) -> int:
    """Run the app and map every outcome to an exit code, in this one place. ``wiring`` lets an
    embedding program (the tests) choose how runs reach the servers."""
    try:
        code, error = _run(args, debug, wiring)
    except KeyboardInterrupt as exc:  # a signal while the app was loading (before typer took over)
        return _interrupted(exc, args)
    _finishing()
    if error is not None and wants_json(args):
        # shared/SPEC.md, Output: one JSON value on stdout even when the command fails early
        print(json.dumps({"exit_code": int(code), "error": error}), flush=True)
    return int(code)


def _finishing() -> None:
    from immich_gphotos import signals

    signals.finishing()


def _interrupted(exc: BaseException, args: list[str]) -> int:
    """130 and one line saying what the interrupted work left saved (and the JSON object)."""
    _finishing()
    message = interrupted_message(exc)
    print(f"Error: {message}", file=sys.stderr, flush=True)
    if wants_json(args):
        print(json.dumps({"exit_code": int(ExitCode.INTERRUPTED), "error": message}), flush=True)
    return int(ExitCode.INTERRUPTED)


def interrupted_message(exc: BaseException | None) -> str:
    """ "Interrupted (SIGTERM); …what was saved". The signal and the saved part come from a
    ``signals.Interrupted`` found in ``exc`` or its causes (Click wraps it in an Abort)."""
    from immich_gphotos.signals import Interrupted, interruption

    seen = exc
    while seen is not None and not isinstance(seen, Interrupted):
        seen = seen.__cause__ or seen.__context__
    seen = seen or interruption()
    if isinstance(seen, Interrupted):
        saved = seen.saved or "nothing was left half-written, and the next run starts afresh"
        return f"Interrupted ({seen}); {saved}."
    return "Interrupted; nothing was left half-written."


def _say_stopping(signum: int) -> None:
    """A first signal during the sync: say why it does not end at once (from the handler)."""
    import os
    import signal

    name = signal.Signals(signum).name
    again = "press Ctrl-C again" if signum == signal.SIGINT else f"send {name} again"
    os.write(
        2,
        f"\nStopping ({name}): finishing the transfers in flight and saving them; {again} "
        "to exit at once.\n".encode(),
    )


def _say_hard_exit(as_json: bool) -> None:
    """A second signal: one line on stderr (and the JSON object unless the outcome is out)."""
    import os

    from immich_gphotos import signals

    message = (
        "Interrupted again: exiting at once; every finished batch is saved, and the next run "
        "continues from there."
    )
    os.write(2, f"\nError: {message}\n".encode())
    if as_json and not signals.is_finishing():
        line = json.dumps({"exit_code": int(ExitCode.INTERRUPTED), "error": message}) + "\n"
        os.write(1, line.encode())


def _run(args: list[str], debug: bool, wiring: Wiring | None) -> tuple[int, str | None]:
    from immich_gphotos.cli import early

    early.start(args)  # before the imports and the parsing below, which run beside it
    import typer

    from immich_gphotos.cli.app import build_app
    from immich_gphotos.cli.common import GlobalOptions
    from immich_gphotos.signals import interruption
    from immich_gphotos.ui.console import warn

    try:
        app = build_app()
        result = app(
            args=args,
            prog_name="immich-gphotos",
            standalone_mode=False,
            obj=GlobalOptions(wiring=wiring),
        )
        if result == ExitCode.INTERRUPTED and interruption() is not None:
            # Typer's answer to the KeyboardInterrupt a signal raised: say what was saved
            message = interrupted_message(None)
            warn(f"Error: {message}")
            return ExitCode.INTERRUPTED, message
        return (result if isinstance(result, int) else ExitCode.OK), None
    except AppError as exc:
        if debug:
            traceback.print_exc()
        warn(f"Error: {exc.message}")
        return exc.exit_code, exc.message
    except typer.Exit as exc:
        return exc.exit_code, None
    except typer.TyperException as exc:  # the parser's usage errors (exit 2) and the like
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            warn(f"Error: {exc.format_message()}")
        return exc.exit_code, exc.format_message()
    except (typer.Abort, KeyboardInterrupt, EOFError) as exc:  # ^C at a prompt, or a signal
        message = interrupted_message(exc)
        warn(f"Error: {message}")
        return ExitCode.INTERRUPTED, message
    except Exception as exc:  # a bug: say so briefly; the traceback only with --debug
        message = (
            f"unexpected {exc.__class__.__name__}: {exc}; run again with --debug for "
            "details and report it at https://github.com/immich-gphotos/immich-gphotos/issues."
        )
        if debug:
            traceback.print_exc()
        else:
            warn(f"Error: {message}")
        return ExitCode.FAILED, message
