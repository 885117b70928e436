"""Path arguments and options shared by the commands, checked by Typer before a command runs: a
missing folder or a file where a folder belongs is a usage error (exit code 2) naming the
parameter, not a traceback from deep inside a loader."""

from __future__ import annotations

import typer

from ._app import DATA_DIR_HELP


def data_dir_option():
    """`--data-dir`: an existing folder. Without it the library picks $FRAMING_DATA_DIR or
    ../shared/data and says so when neither exists."""
    return typer.Option(None, "--data-dir", exists=True, file_okay=False, resolve_path=True, help=DATA_DIR_HELP)


def model_dir_argument(help: str, default=...):
    """An existing model folder (its contents are checked when it loads). Kept as typed: a soup
    or blend records its members' paths in the manifest."""
    return typer.Argument(default, exists=True, file_okay=False, help=help)


def out_dir_option(help: str, default=...):
    """A folder to write; it may not exist yet, but must not be a file."""
    return typer.Option(default, "--out", file_okay=False, help=help)


def out_file_option(help: str, default=..., name: str = "--out"):
    """A file to write; it may not exist yet, but must not be a folder."""
    return typer.Option(default, name, dir_okay=False, help=help)
