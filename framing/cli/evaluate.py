from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ._app import Precision, app, friendly_errors
from .options import data_dir_option, model_dir_argument, out_file_option


class Split(str, Enum):
    dev = "dev"
    test = "test"


class Task(str, Enum):
    """What is scored: the sentence labels, or SemEval-2020 Task 11 span identification / technique classification."""

    sentences = "sentences"
    si = "si"
    tc = "tc"
    narratives = "narratives"
    loso = "loso"
    thresholds = "thresholds"


@app.command("evaluate")
@friendly_errors
def evaluate_cmd(
    model_dir: Path = model_dir_argument("A saved model folder."),
    split: Split = typer.Option(Split.dev, "--split", help="dev (PTC dev) or test (SemEval-2023 paragraphs)."),
    task: Task = typer.Option(Task.sentences, "--task", help="sentences (the sentence labels); si / tc: "
                              "SemEval-2020 Task 11 span identification / technique classification on PTC dev, "
                              "scored as the official scorers do (needs a model with a span head); narratives: "
                              "article frame scores against the SemEval-2025 document narratives (dev = the 40 "
                              "cross-source test documents); loso: the baseline recipe of MODEL (a baseline "
                              "folder) retrained leaving out each frame source, tested on it; thresholds: the threshold rules "
                              "compared by 5-fold cross-validation over the dev articles, with test for each."),
    write_submission: Path | None = out_file_option("With --task si or tc: also write the predictions as an official "
                                                    "submission file (tab-separated).", None, "--write-submission"),
    data_dir: Path | None = data_dir_option(),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    precision: Precision = typer.Option(Precision.fp32, "--precision", help="fp32 (the reported figures), or auto/bf16 to check "
                                  "the fast path."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda[:N] or auto."),
) -> None:
    """Per-label precision / recall / F1, micro and macro F1 and any-technique F1 on a split; with
    --task si or tc, SemEval-2020 Task 11 span precision / recall / F1 on PTC dev."""
    from ..evaluate import evaluate
    from ..inference import Classifier

    if task is Task.loso:
        _loso(model_dir, data_dir, as_json)
        return
    if task is Task.thresholds:
        _thresholds(Classifier.load(model_dir, device=device, precision=precision.value), data_dir, as_json)
        return
    if task is Task.narratives:
        _narratives(Classifier.load(model_dir, device=device, precision=precision.value), split.value, data_dir,
                    as_json)
        return
    if task is not Task.sentences:
        from ..span_eval import check_split

        check_split(split.value)  # before the model loads: only dev has gold spans
        clf = Classifier.load(model_dir, device=device, precision=precision.value)
        _span_task(task, clf, split.value, data_dir, write_submission, as_json)
        return
    if write_submission:
        from ..errors import InputError

        raise InputError("--write-submission writes the SemEval-2020 formats; use it with --task si or --task tc.")
    result = evaluate(Classifier.load(model_dir, device=device, precision=precision.value), split.value, data_dir)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for name, block in result["sets"].items():
        head = " (headline)" if name == result["source"] else ""
        typer.echo(f"\n== {split.value} / {name}{head}: {block['rows']} rows")
        typer.echo(f"{'label':36} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
        for label, m in block["per_label"].items():
            ci = f"  (95% CI {m['f1_ci95'][0]:.3f}-{m['f1_ci95'][1]:.3f})" if "f1_ci95" in m else ""
            typer.echo(f"{label:36} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:8d}{ci}")
        extra = f"  any_technique_f1 {block['any_technique_f1']:.3f}" if "any_technique_f1" in block else ""
        typer.echo(f"micro_f1 {block['micro_f1']:.3f}  macro_f1 {block['macro_f1']:.3f}{extra}")


def _span_task(task: Task, clf, split: str, data_dir, write_submission, as_json: bool) -> None:
    """SemEval-2020 SI or TC figures: P / R / F1, and per technique for TC."""
    from ..span_eval import evaluate_si, evaluate_tc

    result = (evaluate_si if task is Task.si else evaluate_tc)(clf, data_dir, split, write_submission)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"== SemEval-2020 {task.value.upper()} / PTC {split}: {result['articles']} articles, "
               f"{result['gold_spans']} gold spans, {result['predicted_spans']} predicted")
    if task is Task.tc:
        typer.echo(f"{'technique':36} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
        for name, m in result["per_technique"].items():
            typer.echo(f"{name:36} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:8d}")
    typer.echo(f"precision {result['precision']:.4f}  recall {result['recall']:.4f}  f1 {result['f1']:.4f}")
    if result["submission"]:
        typer.echo(f"submission written to {result['submission']}")


def _narratives(clf, split: str, data_dir, as_json: bool) -> None:
    from ..frames_eval import narrative_report

    result = narrative_report(clf, data_dir, split)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    frames = [f for f in next(iter(result["narratives"].values()), {}) if f != "documents"]
    typer.echo(f"== SemEval-2025 {split}: {result['documents']} documents; article score = {result['article_score']}")
    typer.echo(f"{'narrative':52} {'docs':>4} " + " ".join(f"{f[:22]:>22}" for f in frames))
    for narrative, row in result["narratives"].items():
        cells = []
        for f in frames:
            auc = row[f]["roc_auc"]
            cells.append(f"{'-' if auc is None else f'{auc:.3f}':>6} AUC {row[f]['f1']:.3f} F1".rjust(22))
        typer.echo(f"{narrative[:52]:52} {row['documents']:4d} " + " ".join(cells))


def _loso(model_dir: Path, data_dir, as_json: bool) -> None:
    from ..frames_eval import leave_one_source_out
    from ..manifest import read_manifest
    from ..models.baseline import BaselineSettings

    manifest = read_manifest(model_dir)
    known = set(BaselineSettings.__dataclass_fields__)
    settings = BaselineSettings(**{k: v for k, v in manifest.get("settings", {}).items() if k in known}) \
        if manifest.get("model_type") == "baseline" else BaselineSettings()
    result = leave_one_source_out(data_dir, settings=settings, log=lambda line: typer.echo(line, err=True))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    frames = result["frames"]
    typer.echo("== frame F1 on each source's test sentences: baseline trained on all sources / without that source")
    typer.echo(f"{'source':14} {'sentences':>9} " + " ".join(f"{f[:24]:>24}" for f in frames) + f" {'macro':>14}")
    for source, row in result["sources"].items():
        a, b = row["all_sources"], row["without_it"]
        cells = [f"{a.get(f, 0):.3f} / {b.get(f, 0):.3f} ({a['support'].get(f, 0)})".rjust(24) for f in frames]
        typer.echo(f"{source:14} {a['sentences']:9d} " + " ".join(cells) + f" {a['macro_f1']:.3f} / {b['macro_f1']:.3f}")


def _thresholds(clf, data_dir, as_json: bool) -> None:
    from ..threshold_cv import threshold_report

    result = threshold_report(clf, data_dir)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"== threshold rules: PTC dev micro / macro F1 over {result['folds']} held-out folds of articles; "
               "test (SemEval-2023 paragraphs) with the rule fitted on all of dev")
    typer.echo(f"{'rule':14} {'cv micro':>9} {'cv macro':>9} {'test micro':>11} {'test macro':>11}")
    for name, r in result["rules"].items():
        mark = "  <- chosen (best cv micro + macro)" if name == result["chosen"] else ""
        typer.echo(f"{name:14} {r['cv_dev']['micro_f1']:9.3f} {r['cv_dev']['macro_f1']:9.3f} "
                   f"{r['test']['micro_f1']:11.3f} {r['test']['macro_f1']:11.3f}{mark}")
