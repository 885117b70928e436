from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from ._app import DEVICE_HELP, INPUTS_HELP, MODEL_HELP, PRECISION_HELP, Precision, app, friendly_errors


class OutFormat(str, Enum):
    jsonl = "jsonl"
    parquet = "parquet"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


@app.command("batch")
@friendly_errors
def batch_cmd(
    # Paths are checked per item by the readers (a missing input is an error record, not the end of the run).
    inputs: list[Path] = typer.Argument(..., help=INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="Output JSONL (one record per input item); with --engine ray, a "
                             "folder of JSONL shards."),
    model: Path = typer.Option(None, "--model", help=MODEL_HELP, exists=True, file_okay=False),
    resume: bool = typer.Option(False, "--resume", help="Continue OUT: skip ids already written."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    precision: Precision = typer.Option(Precision.auto, "--precision", help=PRECISION_HELP),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Articles per scoring chunk (sentences are packed "
                                   "into token-budget batches across them)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Threads reading, extracting and segmenting ahead of the model."),
    fmt: OutFormat = typer.Option(OutFormat.jsonl, "--format", help="jsonl, or parquet (written from the JSONL at the end)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local (this process), or ray (Ray Data; pip install "
                                  "'framing[ray]')."),
    address: str = typer.Option(None, "--address", help="Ray: cluster address or 'auto' (default: start a local "
                                "Ray instance)."),
    actors: str = typer.Option("1", "--actors", help="Ray: scoring actors, N or MIN-MAX (autoscaling pool)."),
    gpus_per_actor: float = typer.Option(0.0, "--gpus-per-actor", help="Ray: GPUs per scoring actor (e.g. 1, 0.5)."),
    cpus_per_actor: float = typer.Option(1.0, "--cpus-per-actor", help="Ray: CPUs (and torch threads) per actor."),
    ray_timeout: float = typer.Option(None, "--ray-timeout", help="Ray: seconds per step of reaching --address (default 60)."),
) -> None:
    """Score crawled feeds article by article: streaming, resumable, bad records become error records."""
    from ..batch import run_batch
    from ..inference import Classifier

    parquet = fmt is OutFormat.parquet
    if engine is Engine.ray:
        from ..ray_engine import parse_actors, run_ray_batch

        summary = run_ray_batch(inputs, out, model, resume=resume, address=address, actors=parse_actors(actors),
                                gpus_per_actor=gpus_per_actor, cpus_per_actor=cpus_per_actor, batch_size=batch_size,
                                device=device, precision=precision.value, progress=not quiet, parquet=parquet,
                                ray_timeout=ray_timeout)
        typer.echo(json.dumps({"summary": summary, "out": str(out)}), err=True)
        if summary["scored"] + summary["duplicate"] == 0:
            sys.exit(1)
        return
    clf = Classifier.load(model, device=device, precision=precision.value)
    target = out if not parquet else out.with_name(out.name + ".partial.jsonl")
    summary = run_batch(inputs, target, clf, resume=resume, batch_articles=batch_size, workers=workers,
                        progress=not quiet)
    if parquet:
        from ..parquet import jsonl_to_parquet

        jsonl_to_parquet(target, out)
    typer.echo(json.dumps({"summary": summary.to_dict(), "out": str(out), "model": clf.model_info()}), err=True)
    if summary.scored + summary.duplicate + summary.resumed_skip == 0:
        typer.echo(f"framing: nothing could be scored ({summary.failed} item(s) failed; first: {summary.first_error})",
                   err=True)
        sys.exit(1)
