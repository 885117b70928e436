from __future__ import annotations

import json
from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option

frames_app = typer.Typer(help="Frame outputs: the article frame stage (`train`) and the classifier's frame rows (`head`).",
                         no_args_is_help=True)
app.add_typer(frames_app, name="frames")


@frames_app.command("train")
@friendly_errors
def frames_train_cmd(
    model: Path = typer.Argument(..., exists=True, file_okay=False, help="Model folder to add the stage to."),
    out: Path = typer.Option(..., "--out", help="Folder for the new model (the input folder is not changed)."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Fit the frame stage on the SemEval-2025 train/dev sentences (in their whole documents) and the
    other frame sources' dev sentences; frames and thresholds chosen by cross-validation over those
    documents; save MODEL plus the stage to OUT."""
    from ..frame_training import train_frame_stage

    result = train_frame_stage(model, out, data_dir, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result, indent=2))


@frames_app.command("head")
@friendly_errors
def frames_head_cmd(
    model: Path = typer.Argument(..., exists=True, file_okay=False, help="Transformer model folder to start from."),
    out: Path = typer.Option(..., "--out", help="Folder for the new model (the input folder is not changed)."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Refit the frame rows of the classifier on the frozen encoder with every frame-annotated train
    sentence (technique outputs unchanged to the bit); the current rows and a grid of refits are
    compared on dev, frame thresholds tuned on dev; save the winner to OUT."""
    from ..frame_head import refit_frame_head

    result = refit_frame_head(model, out, data_dir, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result, indent=2))
