from __future__ import annotations

import json
from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option, model_dir_argument


@app.command("bench")
@friendly_errors
def bench_cmd(
    model: Path | None = model_dir_argument("Transformer model folder (default: the shipped model).", None),
    data_dir: Path | None = data_dir_option(),
    limit: int = typer.Option(0, "--limit", help="Use only the first N PTC dev sentences (0 = all 3,266)."),
    device: str = typer.Option("cpu", "--device", help="Device for our engines (the pipeline runs on CPU)."),
    skip_pipeline: bool = typer.Option(False, "--skip-pipeline", help="Leave out the slow plain pipeline."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Rounds; each engine's figure is its fastest round."),
) -> None:
    """Sentences/s of the plain transformers pipeline vs our fp32 engine, fast path and int8 export."""
    from ..bench import ENGINES, run_bench
    from ..paths import default_model_dir

    engines = tuple(e for e in ENGINES if not (skip_pipeline and e == "pipeline"))
    result = run_bench(model or default_model_dir(), data_dir, limit, engines, device, repeats,
                       log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result, indent=2))
