from __future__ import annotations

import json
from enum import Enum

import typer

from ._app import DATA_DIR_HELP, app, friendly_errors


class Split(str, Enum):
    dev = "dev"
    test = "test"


@app.command("evaluate")
@friendly_errors
def evaluate_cmd(
    model_dir: str = typer.Argument(..., help="A saved model folder."),
    split: Split = typer.Option(Split.dev, "--split", help="dev (PTC dev) or test (SemEval-2023 paragraphs)."),
    data_dir: str = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    precision: str = typer.Option("fp32", "--precision", help="fp32 (the reported figures), or auto/bf16 to check "
                                  "the fast path."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda[:N] or auto."),
) -> None:
    """Per-label precision / recall / F1, micro and macro F1 and any-technique F1 on a split."""
    from ..evaluate import evaluate
    from ..inference import Classifier

    result = evaluate(Classifier.load(model_dir, device=device, precision=precision), split.value, data_dir)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for name, block in result["sets"].items():
        head = " (headline)" if name == result["source"] else ""
        typer.echo(f"\n== {split.value} / {name}{head}: {block['rows']} rows")
        typer.echo(f"{'label':36} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
        for label, m in block["per_label"].items():
            typer.echo(f"{label:36} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:8d}")
        extra = f"  any_technique_f1 {block['any_technique_f1']:.3f}" if "any_technique_f1" in block else ""
        typer.echo(f"micro_f1 {block['micro_f1']:.3f}  macro_f1 {block['macro_f1']:.3f}{extra}")
