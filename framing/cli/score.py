from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from ._app import DEVICE_HELP, INPUTS_HELP, MODEL_HELP, PRECISION_HELP, Precision, app, friendly_errors


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


@app.command("score")
@friendly_errors
def score_cmd(
    # Paths are checked per item by the readers (a missing file is an error record, not the end of the run).
    paths: list[Path] = typer.Argument(..., help=INPUTS_HELP),
    model: Path = typer.Option(None, "--model", help=MODEL_HELP, exists=True, file_okay=False),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json (one object per document) or jsonl "
                               "(one record per sentence); errors are records too (status 'error')."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    precision: Precision = typer.Option(Precision.auto, "--precision", help=PRECISION_HELP),
) -> None:
    """Label every sentence of the given documents. Boilerplate lines are shown as skipped."""
    from ..inference import Classifier
    from ..scoring import score_items

    clf = Classifier.load(model, device=device, precision=precision.value)
    scored = failed = 0
    for record in score_items(clf, paths):
        if record["status"] == "error":
            failed += 1
            _emit_failure(record, fmt)
        else:
            scored += 1
            _emit(record, fmt)
    sys.stdout.flush()
    info = clf.model_info()
    release = f" {info['version']}" if info["version"] else ""
    typer.echo(f"framing: scored {scored}, failed {failed} (of {scored + failed} input items) with {info['path']}"
               f"{release} in {info['precision']}", err=True)
    if not scored:
        typer.echo(f"framing: nothing could be scored ({failed} input(s) failed)", err=True)
        raise typer.Exit(1)


def _emit_failure(record: dict, fmt: Format) -> None:
    if fmt is Format.table:
        typer.echo(f"framing: {record['id']}: {record['error']}", err=True)
    else:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def _emit(doc: dict, fmt: Format) -> None:
    if fmt is Format.jsonl:
        for record in doc["sentences"]:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt is Format.json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        typer.echo(f"\n# {doc['id']}")
        for r in doc["sentences"]:
            if r["skipped"]:
                tag = f"[skipped: {r['skipped']}]"
            else:
                top = max(r["scores"].values()) if r["scores"] else 0.0
                tag = ", ".join(r["labels"]) if r["labels"] else f"- (max {top:.2f})"
            typer.echo(f"{r['index']:4d}  {tag}\n      {marked(r)}")
            for span in r["spans"]:
                typer.echo(f"        [{span['text']}] {span['label']} {span['score']:.2f}")


def marked(record: dict, width: int = 90) -> str:
    """The sentence with the words of its spans in [brackets] (overlapping spans share one
    bracket), cut to `width` characters."""
    text, base = record["text"], record["start"]
    inside = [False] * len(text)
    for span in record.get("spans") or []:
        for k in range(span["start"] - base, span["end"] - base):
            inside[k] = True
    out = "".join(("[" if on and (k == 0 or not inside[k - 1]) else "") + ch
                  + ("]" if on and (k == len(text) - 1 or not inside[k + 1]) else "")
                  for k, (ch, on) in enumerate(zip(text, inside)))
    return out if len(out) <= width else out[: width - 3] + "..."
