from __future__ import annotations

from pathlib import Path

import typer

from ._app import DATA_DIR_HELP, app, friendly_errors

report_app = typer.Typer(help="Offline HTML reports (inline SVG charts, no network).", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("model")
@friendly_errors
def report_model_cmd(
    models: list[str] = typer.Argument(..., help="One or more model folders, shown side by side."),
    out: str = typer.Option("report.html", "--out", help="Output HTML file."),
    data_dir: str = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Per-label metrics, F1 bar charts and precision-recall curves on dev and test."""
    from ..report import model_report

    Path(out).write_text(model_report(models, data_dir), encoding="utf-8")
    typer.echo(f"wrote {out}")


@report_app.command("articles")
@friendly_errors
def report_articles_cmd(
    scored: str = typer.Argument(..., help="Output of `framing batch` or `framing score --format json|jsonl`."),
    out: str = typer.Option("articles.html", "--out", help="Output HTML file."),
    max_articles: int = typer.Option(200, "--max-articles", help="Articles shown in full."),
) -> None:
    """Sentences highlighted by label, per-sentence scores, label distribution and top articles."""
    from ..report import articles_report

    Path(out).write_text(articles_report(scored, max_articles), encoding="utf-8")
    typer.echo(f"wrote {out}")
