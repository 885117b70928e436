from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ..models.transformer_settings import TransformerSettings
from ._app import app, friendly_errors
from .options import data_dir_option, model_dir_argument, out_dir_option

# The flags' defaults are the settings' defaults: one place to change them.
TRANSFORMER = TransformerSettings()


class ModelKind(str, Enum):
    baseline = "baseline"
    transformer = "transformer"


@app.command("train")
@friendly_errors
def train_cmd(
    model: ModelKind = typer.Option(ModelKind.baseline, "--model", help="Which model to train."),
    out: Path | None = out_dir_option("Output model folder (default: models/<model>).", None),
    data_dir: Path | None = data_dir_option(),
    no_memes: bool = typer.Option(False, "--no-memes", help="Leave SemEval-2021 meme texts out of training."),
    no_synthetic: bool = typer.Option(False, "--no-synthetic", help="Leave team-written frame sentences out."),
    with_fragments: bool = typer.Option(True, "--with-fragments/--no-fragments",
                                        help="Add the PTC train span fragments as extra training rows."),
    base: Path | None = typer.Option(TRANSFORMER.base, "--base", exists=True, file_okay=False,
                                     help="Local Hugging Face encoder folder (default: all-MiniLM-L6-v2)."),
    epochs: int = typer.Option(TRANSFORMER.epochs, "--epochs", help="Transformer: maximum epochs."),
    batch_size: int = typer.Option(TRANSFORMER.batch_size, "--batch-size", help="Transformer: sentences per optimiser step."),
    lr: float = typer.Option(TRANSFORMER.lr, "--lr", help="Transformer: peak learning rate."),
    head_lr: float = typer.Option(TRANSFORMER.head_lr, "--head-lr",
                                  help="Transformer: learning rate of the classification head (0 = --lr)."),
    max_steps: int = typer.Option(TRANSFORMER.max_steps, "--max-steps", help="Transformer: stop after N steps (0 = no limit)."),
    limit: int = typer.Option(TRANSFORMER.limit, "--limit", help="Use only N training rows (quick runs; 0 = all)."),
    eval_every: int = typer.Option(TRANSFORMER.eval_every, "--eval-every",
                                   help="Transformer: dev evaluation every N steps (0 = per epoch)."),
    max_pos_weight: float = typer.Option(TRANSFORMER.max_pos_weight, "--max-pos-weight",
                                         help="Transformer: cap on per-label positive weights."),
    span_weight: float = typer.Option(TRANSFORMER.span_weight, "--span-weight",
                                      help="Transformer: weight of the auxiliary token-level span loss (0 = off)."),
    seed: int = typer.Option(TRANSFORMER.seed, "--seed", help="Random seed."),
    device: str = typer.Option(TRANSFORMER.device, "--device", help="auto, cpu or cuda[:N]."),
) -> None:
    """Train a model, tune its per-label thresholds on dev and save it with its metrics."""
    from ..paths import checkout_models_dir
    from ..training import train_baseline, train_transformer

    target = out or checkout_models_dir() / model.value
    if model is ModelKind.baseline:
        metrics = train_baseline(target, data_dir, with_memes=not no_memes, with_synthetic=not no_synthetic,
                                 with_fragments=with_fragments)
    else:
        try:
            settings = TransformerSettings(base=str(base) if base else None, epochs=epochs, batch_size=batch_size, lr=lr,
                                           head_lr=head_lr, max_steps=max_steps, limit=limit, eval_every=eval_every, seed=seed,
                                           device=device, max_pos_weight=max_pos_weight, span_weight=span_weight)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        metrics = train_transformer(target, data_dir, settings, with_memes=not no_memes,
                                    with_synthetic=not no_synthetic, with_fragments=with_fragments,
                                    log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(metrics, indent=2))
    typer.echo(f"saved to {target}")


@app.command("blend")
@friendly_errors
def blend_cmd(
    transformer: Path = model_dir_argument("A trained transformer model folder."),
    baseline: Path = model_dir_argument("A trained baseline model folder."),
    out: Path = out_dir_option("Output folder for the blended model."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Blend a transformer with the baseline; weight and threshold objective are chosen on dev."""
    from ..training import blend_models

    metrics = blend_models(transformer, baseline, out, data_dir, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(metrics, indent=2))


@app.command("soup")
@friendly_errors
def soup_cmd(
    members: list[Path] = model_dir_argument("Two or more transformer folders: fine-tunes of one base, same outputs."),
    out: Path = out_dir_option("Output folder (re-tune it with `framing blend`)."),
) -> None:
    """Average the weights of several fine-tunes (a model soup)."""
    from ..soup import soup_models

    typer.echo(json.dumps(soup_models(members, out), indent=2))
