"""The program's first code, for the console script and ``python -m immich_gphotos``.

A signal that lands while the rest of the tool is still being imported (typer, rich, httpx:
a tenth of a second or more) would otherwise end in a KeyboardInterrupt traceback or a bare
-15. Here, before anything heavy is imported, SIGINT and SIGTERM end the process at once with
exit 130 and one line (nothing has been read or written yet, so nothing needs saving);
``cli.main`` then installs the real handlers. Imported only by the two entry points, so
importing the package (as the tests do) changes no signal handling.
"""

from __future__ import annotations

import json
import os
import signal
import sys

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _starting_up(signum: int, frame: object) -> None:
    error = f"Interrupted ({signal.Signals(signum).name}) while starting; nothing was changed."
    try:
        options = sys.argv[1 : sys.argv.index("--")] if "--" in sys.argv else sys.argv[1:]
        if "--json" in options:  # one JSON value on stdout, as for any other failure
            os.write(1, (json.dumps({"exit_code": 130, "error": error}) + "\n").encode())
        os.write(2, f"Error: {error}\n".encode())
    finally:
        os._exit(130)


def main() -> None:
    for sig in _SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # kept ignored when the parent says so
            signal.signal(sig, _starting_up)
    from immich_gphotos.cli import main as cli_main

    cli_main()
