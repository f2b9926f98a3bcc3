"""Work a command can start before it is even parsed: for `sync`, the secrets file's key.

`sync` cannot send anything before the key of the passphrase-encrypted secrets file is derived
(scrypt, about 0.3 s of CPU). Deriving it on a thread from the first moment lets the imports,
the app's construction and the parsing run beside it. This reads the command line roughly (the
command word and ``--config``): a wrong guess only costs a thread's work, and every problem is
left to the command itself, which reads the same settings again.
"""

from __future__ import annotations

import contextlib


def command_and_config(args: list[str]) -> tuple[str | None, str | None]:
    """The command word and the ``--config`` value given, as far as a rough read can tell."""
    config = None
    words: list[str] = []
    it = iter(args[: args.index("--")] if "--" in args else args)
    for arg in it:
        if arg == "--config":
            config = next(it, None)
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        elif not arg.startswith("-"):
            words.append(arg)
    return (words[0] if words else None), config


def start(args: list[str]) -> None:
    """For `sync`, start deriving the key. Only regular files are read ahead: a config given as
    a pipe (``--config <(envsubst < tmpl)``) can be read once, and the command must get it."""
    command, config = command_and_config(args)
    if command != "sync":
        return
    from immich_gphotos import config as config_mod
    from immich_gphotos.credentials.backends import prefetch

    with contextlib.suppress(Exception):  # the command reports whatever is wrong
        path = config_mod.config_path(config)
        if path.is_file():
            settings = config_mod.load(path)
            prefetch(settings.secrets_backend, settings.state_dir)
