from __future__ import annotations

import json
from enum import Enum

import typer

from ._app import DATA_DIR_HELP, app


class ModelKind(str, Enum):
    baseline = "baseline"
    transformer = "transformer"


@app.command("train")
def train_cmd(
    model: ModelKind = typer.Option(ModelKind.baseline, "--model", help="Which model to train."),
    out: str = typer.Option(None, "--out", help="Output model folder (default: models/<model>)."),
    data_dir: str = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    no_memes: bool = typer.Option(False, "--no-memes", help="Leave SemEval-2021 meme texts out of training."),
) -> None:
    """Train a model, tune its per-label thresholds on dev and save it with its metrics."""
    from ..paths import MODELS_DIR
    from ..training import train_baseline

    target = out or str(MODELS_DIR / model.value)
    if model is ModelKind.baseline:
        metrics = train_baseline(target, data_dir, with_memes=not no_memes)
    else:
        raise typer.BadParameter("the transformer trainer is not available in this build", param_hint="--model")
    typer.echo(json.dumps(metrics, indent=2))
    typer.echo(f"saved to {target}")
