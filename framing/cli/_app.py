from __future__ import annotations

import sys
from enum import Enum

import typer
from typer._click import exceptions as cx  # Typer vendors click; its own exception classes are these
from typer.core import TyperGroup


class OneLineErrors(TyperGroup):
    """Usage errors (a bad option value, a missing argument) as one line on stderr with exit code 2,
    not Typer's multi-line box: a script or a log gets one greppable line, like every other error."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except cx.NoArgsIsHelpError as exc:
            exc.show()  # `framing` alone (or `framing data`): the help, as before
            sys.exit(exc.exit_code)
        except cx.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "framing"
            message = " ".join(exc.format_message().split()).replace("Value error, ", "")  # pydantic's prefix
            typer.echo(f"{where}: {message} (see {where} --help)", err=True)
            sys.exit(2)
        except cx.ClickException as exc:
            typer.echo(f"framing: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("framing: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="framing",
    help="Label news sentences with persuasion techniques and geopolitical frames.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect the sentence dataset built from the corpora.", no_args_is_help=True)
app.add_typer(data_app, name="data")



class Precision(str, Enum):
    """What `--precision` offers: only precisions a backend implements."""

    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"
    int8 = "int8"


PRECISION_HELP = ("auto (int8 where the model has an int8 export and the CPU has native int8, else bf16 where the CPU "
                  "has native bf16, fp16 on CUDA, else fp32), fp32, bf16, fp16 (CUDA only), or int8 (CPU; needs "
                  "`framing export --precision int8`).")
DEVICE_HELP = "auto, cpu or cuda[:N] (transformer models)."
MODEL_HELP = "Model folder (default: $FRAMING_MODEL, else the shipped model; `framing model path` shows which)."
INPUTS_HELP = ("Inputs: JSONL, CSV, RSS/Atom, WARC, text or HTML files (also .gz for JSONL/CSV/WARC), folders "
               "(every file, recursively; hidden files skipped), or - for standard input.")

DATA_DIR_HELP = "Folder holding the corpora (default: $FRAMING_DATA_DIR, else ../shared/data)."


def friendly_errors(func):
    """Turn a library FramingError into one line on stderr and exit code 2 (never a traceback)."""
    import functools

    from ..errors import FramingError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FramingError as exc:
            typer.echo(f"framing: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper
