from __future__ import annotations

import json
from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option

spans_app = typer.Typer(help="The span head: which words carry a technique.", no_args_is_help=True)
app.add_typer(spans_app, name="spans")


@spans_app.command("train")
@friendly_errors
def spans_train_cmd(
    model: Path = typer.Argument(..., exists=True, file_okay=False, help="Transformer model folder to add a span head to."),
    data_dir: Path | None = data_dir_option(),
    hidden: int = typer.Option(256, "--hidden", min=0, help="Hidden units of the head (0: a linear layer)."),
    epochs: int = typer.Option(6, "--epochs", min=1, help="Passes over the PTC train tokens."),
    seed: int = typer.Option(0, "--seed"),
    context: int = typer.Option(0, "--context", min=0, max=4,
                                help="Neighbouring tokens either side whose states the head also reads."),
    dropout: float = typer.Option(0.0, "--dropout", min=0.0, max=0.9,
                                  help="Share of input features dropped in training (regularises; not saved)."),
    noise: float = typer.Option(0.0, "--noise", min=0.0, max=5.0,
                                help="Gaussian noise added to the input features in training, in feature "
                                     "standard deviations (regularises; not saved)."),
    keep_classifier: bool = typer.Option(False, "--keep-classifier",
                                         help="Keep the folder's span classifier (TC) instead of refitting it; "
                                              "it never reads the head."),
) -> None:
    """Train the span head on PTC train spans (encoder frozen: sentence scores stay the same),
    tune its thresholds and decoding on PTC dev, and save it into MODEL."""
    from ..span_training import train_span_head

    entry = train_span_head(model, data_dir, hidden=hidden, epochs=epochs, seed=seed, context=context, dropout=dropout,
                            noise=noise, keep_classifier=keep_classifier, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps({"span_head": entry["file"], "dev": entry["metrics"]["dev"]}, indent=2))
