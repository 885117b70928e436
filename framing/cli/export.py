from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option, model_dir_argument


class ExportPrecision(str, Enum):
    int8 = "int8"


class Method(str, Enum):
    dynamic = "dynamic"
    weight_only = "weight-only"
    static = "static"


@app.command("export")
@friendly_errors
def export_cmd(
    model: Path | None = model_dir_argument("Transformer model folder (default: the shipped model).", None),
    precision: ExportPrecision = typer.Option(..., "--precision", help="What to export: int8 (ONNX Runtime)."),
    method: Method = typer.Option(Method.weight_only, "--method", help="weight-only (int8 weights, fp32 compute: "
                                  "keeps the decisions), dynamic (int8 weights and activations: the fastest, keeps "
                                  "about 96% of them) or static (activation scales calibrated on PTC train); "
                                  "docs/INT8.md has what each measured."),
    exclude: list[str] = typer.Option([], "--exclude", help="Keep MatMul nodes whose name contains this in fp32 "
                                      "(repeatable), e.g. output/dense or layer.5."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Write the model's int8 file into its folder, with its framing.json entry (hash of the
    fp32 weights it came from); `--precision auto` then uses it where the CPU has native int8."""
    from ..export import export_int8
    from ..paths import default_model_dir

    folder = model or default_model_dir()
    entry = export_int8(folder, method.value, tuple(exclude), data_dir=data_dir)
    typer.echo(json.dumps({"model": str(folder), "int8": entry}, indent=2))
