from __future__ import annotations

import json
import sys
from enum import Enum

import typer

from ._app import app, friendly_errors


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


@app.command("score")
@friendly_errors
def score_cmd(
    paths: list[str] = typer.Argument(..., help="Text files, directories of .txt files, or - for stdin."),
    model: str = typer.Option(None, "--model", help="Model folder (default: the shipped model, or $FRAMING_MODEL)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json (one object per document) or jsonl "
                               "(one record per sentence)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda[:N] (transformer models)."),
    precision: str = typer.Option("auto", "--precision", help="auto (fast path), fp32, bf16 or int8."),
) -> None:
    """Label every sentence of the given documents. Boilerplate lines are shown as skipped."""
    from ..inference import Classifier
    from ..inputs import InputFailure, iter_inputs

    clf = Classifier.load(model, device=device, precision=precision)
    items = list(iter_inputs(paths))
    failures = [i for i in items if isinstance(i, InputFailure)]
    docs = [(i.doc, i.text) for i in items if not isinstance(i, InputFailure)]
    scored = {d.doc: d for d in clf.score_documents(docs)}
    for item in items:  # output in argument order, failures in place
        if isinstance(item, InputFailure):
            _emit_failure(item, fmt)
        else:
            _emit(scored[item.doc], fmt)
    if not docs:
        typer.echo(f"framing: nothing could be scored ({len(failures)} input(s) failed)", err=True)
        raise typer.Exit(1)


def _emit_failure(failure, fmt: Format) -> None:
    if fmt is Format.table:
        typer.echo(f"framing: {failure.doc}: {failure.error}", err=True)
    else:
        typer.echo(json.dumps(failure.to_dict(), ensure_ascii=False))


def _emit(doc, fmt: Format) -> None:
    if fmt is Format.jsonl:
        for record in doc.sentences:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt is Format.json:
        typer.echo(json.dumps(doc.to_dict(), ensure_ascii=False))
    else:
        typer.echo(f"\n# {doc.doc}")
        for r in doc.sentences:
            if r["skipped"]:
                tag = f"[skipped: {r['skipped']}]"
            else:
                top = max(r["scores"].values()) if r["scores"] else 0.0
                tag = ", ".join(r["labels"]) if r["labels"] else f"- (max {top:.2f})"
            text = r["text"] if len(r["text"]) <= 90 else r["text"][:87] + "..."
            typer.echo(f"{r['index']:4d}  {tag}\n      {text}")
