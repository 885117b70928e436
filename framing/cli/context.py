from __future__ import annotations

import json
from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option

context_app = typer.Typer(help="The article-context stage: labels re-scored from the sentence's article.",
                          no_args_is_help=True)
app.add_typer(context_app, name="context")


@context_app.command("train")
@friendly_errors
def context_train_cmd(
    model: Path = typer.Argument(..., exists=True, file_okay=False, help="Model folder to add the stage to."),
    out: Path = typer.Option(..., "--out", help="Folder for the new model (the input folder is not changed)."),
    labels: list[str] = typer.Option(["repetition"], "--label", help="Label the stage re-scores (repeatable)."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Train context models on PTC train, fit their combination with MODEL's scores and the labels'
    thresholds on PTC dev (after a cross-validated estimate on dev), and save MODEL plus the stage to OUT."""
    from ..context_training import train_context

    result = train_context(model, out, labels, data_dir, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result, indent=2))
