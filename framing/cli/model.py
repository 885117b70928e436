"""`framing model`: which model folder the other commands would use, and its release version."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, friendly_errors

model_app = typer.Typer(help="Which model framing uses: its folder and release version.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("path")
@friendly_errors
def path_cmd(
    model: Path = typer.Option(None, "--model", help="A model folder to check instead of the default."),
) -> None:
    """Print the model folder that commands use without --model; stderr says where the choice came from
    (--model, then $FRAMING_MODEL, then the checkout's models/DEFAULT)."""
    from ..manifest import read_manifest
    from ..paths import resolve_model

    path, source = resolve_model(model)
    manifest = read_manifest(path)  # a folder that would not load is an error here too, not a path to trust
    typer.echo(str(path.resolve()))
    typer.echo(f"framing: chosen by {source}; {manifest['model_type']} model, "
               f"version {manifest.get('version', 'not recorded')}", err=True)


@model_app.command("set-version")
@friendly_errors
def set_version_cmd(
    model_dir: Path = typer.Argument(..., help="A saved model folder."),
    version: str = typer.Argument(..., help="Its release, MAJOR.MINOR.PATCH (e.g. 2026.12.3)."),
) -> None:
    """Record a release version in a saved model's framing.json (and its model card)."""
    from ..manifest import set_model_version

    set_model_version(model_dir, version)
    if (model_dir / "README.md").is_file():  # the model card states the version too
        from ..model_card import write_model_card

        write_model_card(model_dir)
    typer.echo(f"{model_dir}: version {version}")


@model_app.command("thresholds")
@friendly_errors
def thresholds_cmd(
    model_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="A saved model folder."),
    rule: str = typer.Option(..., "--rule", help="label-f1, joint, joint-macro2, joint-on, shrunk or calibrated (compare them "
                             "with `framing evaluate MODEL --task thresholds`)."),
    out: Path = typer.Option(..., "--out", help="Folder for the model with the new thresholds."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Folder holding the corpora."),
) -> None:
    """Set MODEL's technique thresholds by RULE fitted on all of dev, into OUT (dev and test re-scored)."""
    import json

    from ..errors import InputError
    from ..threshold_cv import RULES, apply_rule

    if rule not in RULES:
        raise InputError(f"unknown threshold rule {rule!r}; expected one of {', '.join(RULES)}")
    typer.echo(json.dumps(apply_rule(model_dir, out, rule, data_dir), indent=2))
