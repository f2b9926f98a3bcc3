"""The CLI run in this process: the same parser, cores and printing as the real command, with
retry policies that record their waits instead of sleeping (production timings otherwise)."""

from __future__ import annotations

import io
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace

from immich_gphotos import cli
from immich_gphotos.commands.wiring import Wiring
from immich_gphotos.gphotos.client import google_retry_policy
from immich_gphotos.immich.client import immich_retry_policy


class Waits:
    """The back-off waits a run asked for, in order (nothing is slept)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def fast_wiring(waits: Waits | None = None) -> Wiring:
    waits = waits or Waits()
    return Wiring(
        immich_retry=replace(immich_retry_policy(), sleep=waits),
        google_retry=replace(google_retry_policy(), sleep=waits),
    )


def run_in_process(*args: str, wiring: Wiring | None = None) -> subprocess.CompletedProcess[str]:
    """Like ``helpers.run_cli`` (stdin not a terminal, both streams captured), without a child."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.run(list(args), debug="--debug" in args, wiring=wiring or fast_wiring())
    return subprocess.CompletedProcess(
        ["immich-gphotos", *args], code, out.getvalue(), err.getvalue()
    )
