from __future__ import annotations

import json
import sys

import typer

from ._app import app, friendly_errors


@app.command("batch")
@friendly_errors
def batch_cmd(
    inputs: list[str] = typer.Argument(..., help="JSONL, CSV, RSS/Atom, WARC files or folders of .txt/.html."),
    out: str = typer.Option(..., "--out", help="Output JSONL (one record per article); with --engine ray, a folder "
                            "of JSONL shards."),
    model: str = typer.Option(None, "--model", help="Model folder (default: the shipped model)."),
    resume: bool = typer.Option(False, "--resume", help="Continue OUT: skip ids already written."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda[:N]."),
    precision: str = typer.Option("auto", "--precision", help="auto (fast path), fp32, bf16."),
    batch_size: int = typer.Option(64, "--batch-size", help="Articles per scoring chunk (sentences are packed "
                                   "into token-budget batches across them)."),
    workers: int = typer.Option(2, "--workers", help="Threads reading, extracting and segmenting ahead of the model."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, or parquet (written from the JSONL at the end)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    engine: str = typer.Option("local", "--engine", help="local (this process), or ray (Ray Data; pip install "
                               "'framing[ray]')."),
    address: str = typer.Option(None, "--address", help="Ray: cluster address or 'auto' (default: start a local "
                                "Ray instance)."),
    actors: str = typer.Option("1", "--actors", help="Ray: scoring actors, N or MIN-MAX (autoscaling pool)."),
    gpus_per_actor: float = typer.Option(0.0, "--gpus-per-actor", help="Ray: GPUs per scoring actor (e.g. 1, 0.5)."),
    cpus_per_actor: float = typer.Option(1.0, "--cpus-per-actor", help="Ray: CPUs (and torch threads) per actor."),
) -> None:
    """Score crawled feeds article by article: streaming, resumable, bad records become error records."""
    from ..batch import run_batch
    from ..inference import Classifier

    if fmt not in ("jsonl", "parquet"):
        raise typer.BadParameter("use jsonl or parquet", param_hint="--format")
    if batch_size < 1 or workers < 1:
        raise typer.BadParameter("--batch-size and --workers must be >= 1")
    if engine not in ("local", "ray"):
        raise typer.BadParameter("use local or ray", param_hint="--engine")
    if engine == "ray":
        from ..ray_engine import parse_actors, run_ray_batch

        summary = run_ray_batch(inputs, out, model, resume=resume, address=address, actors=parse_actors(actors),
                                gpus_per_actor=gpus_per_actor, cpus_per_actor=cpus_per_actor, batch_size=batch_size,
                                device=device, precision=precision, progress=not quiet, parquet=fmt == "parquet")
        typer.echo(json.dumps({"summary": summary, "out": out}), err=True)
        if summary["scored"] + summary["duplicate"] == 0:
            sys.exit(1)
        return
    clf = Classifier.load(model, device=device, precision=precision)
    target = out if fmt == "jsonl" else out + ".partial.jsonl"
    summary = run_batch(inputs, target, clf, resume=resume, batch_articles=batch_size, workers=workers,
                        progress=not quiet)
    if fmt == "parquet":
        from ..parquet import jsonl_to_parquet

        jsonl_to_parquet(target, out)
    typer.echo(json.dumps({"summary": summary.to_dict(), "out": out}), err=True)
    if summary.scored + summary.duplicate + summary.resumed_skip == 0:
        sys.exit(1)
