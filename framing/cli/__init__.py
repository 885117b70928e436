"""The `framing` command line: one Typer app, one small module per command.

Commands only parse options and call one library function; library errors (FramingError)
become a one-line message and exit code 2 here, never a traceback.
"""

from __future__ import annotations

import os
import sys

# No code path may reach a model hub: set before transformers can be imported anywhere.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from ..errors import FramingError  # noqa: E402
from . import batch, bench, context, data, evaluate, export, frames, model, report, score, serve, spans, train  # noqa: E402,F401  (registers the commands)
from ._app import app  # noqa: E402


def main() -> None:
    try:
        app(standalone_mode=True)
    except FramingError as exc:
        print(f"framing: {exc}", file=sys.stderr)
        sys.exit(2)
