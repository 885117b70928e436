from __future__ import annotations

import typer

app = typer.Typer(
    name="framing",
    help="Label news sentences with persuasion techniques and geopolitical frames.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect the sentence dataset built from the corpora.", no_args_is_help=True)
app.add_typer(data_app, name="data")

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
