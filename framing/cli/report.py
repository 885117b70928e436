from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, friendly_errors
from .options import data_dir_option, model_dir_argument, out_file_option

report_app = typer.Typer(help="Offline HTML reports (inline SVG charts, no network).", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("model")
@friendly_errors
def report_model_cmd(
    models: list[Path] = model_dir_argument("One or more model folders, shown side by side."),
    out: Path = out_file_option("Output HTML file.", Path("report.html")),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Per-label metrics, F1 bar charts and precision-recall curves on dev and test."""
    from ..report import model_report

    out.write_text(model_report(models, data_dir), encoding="utf-8")
    typer.echo(f"wrote {out}")


@report_app.command("articles")
@friendly_errors
def report_articles_cmd(
    scored: Path = typer.Argument(..., exists=True, dir_okay=False,
                                  help="Output of `framing batch` or `framing score --format json|jsonl`."),
    out: Path = out_file_option("Output HTML file.", Path("articles.html")),
    max_articles: int = typer.Option(200, "--max-articles", help="Articles shown in full."),
) -> None:
    """Sentences highlighted by label, per-sentence scores, label distribution and top articles."""
    from ..report import articles_report

    out.write_text(articles_report(scored, max_articles), encoding="utf-8")
    typer.echo(f"wrote {out}")
