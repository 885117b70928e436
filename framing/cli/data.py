from __future__ import annotations

import json
from pathlib import Path

import typer

from ._app import data_app, friendly_errors
from .options import data_dir_option


@data_app.command("stats")
@friendly_errors
def stats_cmd(
    data_dir: Path | None = data_dir_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Ignore the cached dataset and rebuild it."),
) -> None:
    """Label counts per split and source (only labels the source annotates are counted)."""
    from ..dataset import load_dataset_dict, stats

    dd = load_dataset_dict(data_dir, rebuild=rebuild)
    groups = stats(dd)
    if as_json:
        typer.echo(json.dumps({"fingerprint": dd.fingerprint_, "groups": groups}, indent=2))
        return
    typer.echo(f"dataset fingerprint {dd.fingerprint_}")
    from ..taxonomy import load_taxonomy

    labels = [x for x in load_taxonomy().ids if any(x in g["positives"] for g in groups)]
    header = ["split", "source", "rows"] + labels
    table = [[g["split"], g["source"], str(g["rows"])] + [str(g["positives"].get(x, "-")) for x in labels]
             for g in groups]
    _print_table(header, table)


@data_app.command("boilerplate")
@friendly_errors
def boilerplate_cmd() -> None:
    """Precision and recall of the boilerplate detector against the hand-judged seed lines."""
    from ..boilerplate_eval import evaluate_seed_boilerplate

    result = evaluate_seed_boilerplate()
    typer.echo(json.dumps(result, indent=2))


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    # Long label ids as column heads would make the table unreadable: print them vertically.
    typer.echo("columns: " + ", ".join(f"[{i}] {h}" for i, h in enumerate(header[3:])))
    short = header[:3] + [f"[{i}]" for i in range(len(header) - 3)]
    widths = [max(len(r[i]) for r in [short] + rows) for i in range(len(short))]
    for row in [short] + rows:
        typer.echo("  ".join(cell.rjust(w) if i >= 2 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))))


@data_app.command("agreement")
@friendly_errors
def agreement_cmd() -> None:
    """Cohen's kappa per frame between the two independent annotation passes, per group of sources."""
    from ..agreement import agreement_by_group

    typer.echo(json.dumps(agreement_by_group(), indent=2))
