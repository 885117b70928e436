"""Adding the article-context stage to a saved model.

The context models learn on PTC train gold (the sentence model's own train scores are in-sample,
so they never enter); the three combiner numbers per label and the label's threshold are set on
PTC dev. How much the stage is worth is estimated before it is fitted, by 5-fold cross-validation
over the dev articles (combiner and threshold fitted on four folds, scored on the fifth), for the
stage and for the sentence model alone under the same procedure.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .atomic import atomic_dir
from .context import logit
from .evaluate import aligned_targets, documents_of, evaluate_rows, unit_sentences
from .manifest import MANIFEST_NAME, with_version
from .metrics import best_threshold, binary_f1
from .models.context_stage import FOLDER, ContextStage
from .taxonomy import load_taxonomy

DEFAULT_LABELS = ("repetition",)


def _train_documents(data_dir, labels: list[str]) -> tuple[list[list[str]], list[np.ndarray]]:
    from .corpora import read_ptc
    from .dataset import sentence_rows
    from .paths import resolve_data_dir

    ids = load_taxonomy().ids
    cols = [ids.index(label) for label in labels]
    docs, targets = [], []
    for doc in read_ptc(resolve_data_dir(data_dir), "train"):
        rows = sentence_rows(doc)
        if rows:
            docs.append([r["text"] for r in rows])
            targets.append(np.asarray([r["labels"] for r in rows], dtype=int)[:, cols])
    return docs, targets


def cross_validated_decisions(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = 5) -> np.ndarray:
    """Decisions of a logistic combiner of the columns of `x` with its F1-optimal threshold, both
    fitted on the other folds (grouped by article), for every row from the fold that held it out."""
    pred = np.zeros(len(y), dtype=bool)
    for tr, te in GroupKFold(folds).split(x, y, groups):
        if y[tr].min() == y[tr].max():
            continue
        lr = LogisticRegression(max_iter=2000).fit(x[tr], y[tr])
        t = best_threshold(y[tr], lr.predict_proba(x[tr])[:, 1])
        pred[te] = lr.predict_proba(x[te])[:, 1] >= t
    return pred


def cross_validated_f1(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = 5) -> float:
    """F1 of `cross_validated_decisions`, pooled over the held-out folds."""
    return binary_f1(cross_validated_decisions(x, y, groups, folds), y)


def train_context(model_dir, out, labels=DEFAULT_LABELS, data_dir=None, log=print) -> dict:
    from .dataset import load_dataset_dict
    from .inference import Classifier
    from .model_card import write_model_card
    from .training import metrics_summary, tune_thresholds

    model_dir, out, labels = Path(model_dir), Path(out), list(labels)
    clf = Classifier.load(model_dir, device="cpu", precision="fp32")
    if clf.context is not None:
        raise ValueError(f"{model_dir} already has a context stage; start from the model without one")
    docs, targets = _train_documents(data_dir, labels)
    log(f"context models: {len(docs)} PTC train articles, {sum(len(d) for d in docs)} sentences")
    stage = ContextStage(labels).fit(docs, targets)

    dd = load_dataset_dict(data_dir)
    rows = {split: dd[split][:] for split in ("dev", "test")}
    units = {split: unit_sentences(r) for split, r in rows.items()}
    raw = {split: clf.predict_outputs(texts) for split, (texts, _) in units.items()}

    # the combiner learns on the PTC dev sentences (one unit sentence per row there)
    texts, owners = units["dev"]
    y_rows, m_rows = aligned_targets(rows["dev"], clf.labels)
    sources = np.asarray(rows["dev"]["source"])
    ptc_docs = [idx for idx in documents_of(rows["dev"], owners) if sources[owners[idx[0]]] == "ptc"]
    order = np.concatenate(ptc_docs)
    groups = np.concatenate([np.full(len(idx), g) for g, idx in enumerate(ptc_docs)])
    context_p = np.vstack([stage.context_proba([texts[i] for i in idx]) for idx in ptc_docs])
    estimate = {}
    for j, label in enumerate(labels):
        col = clf.outputs.index(label)
        y = y_rows[owners[order], clf.labels.index(label)]
        alone = logit(raw["dev"][order, col])[:, None]
        both = np.hstack([alone, logit(context_p[:, j])[:, None]])
        fit = LogisticRegression(max_iter=2000).fit(both, y)
        stage.combiner_[j] = [fit.coef_[0][0], fit.coef_[0][1], fit.intercept_[0]]
        estimate[label] = {"sentence_model": round(cross_validated_f1(alone, y, groups), 4),
                           "with_context": round(cross_validated_f1(both, y, groups), 4), "dev_positives": int(y.sum())}
        log(json.dumps({"label": label, "cv_f1_dev": estimate[label]}))

    clf.set_context(stage)
    # every threshold re-tuned by the model's own objective: the re-scored labels move the aggregates
    objective = clf.manifest.get("selection", {}).get("threshold_objective", "label-f1")
    thresholds, gate = tune_thresholds(clf, rows["dev"], _pooled(clf, rows["dev"], units["dev"], raw["dev"]), objective)
    # the stage changes technique scores only: the frame thresholds stay as the model had them
    for label in clf.labels:
        if load_taxonomy().is_family(label, "frame"):
            thresholds[label] = clf.manifest["thresholds"][label]
    manifest = with_version(dict(clf.manifest))
    manifest.update(thresholds=thresholds, any_technique=gate)
    manifest["context"] = {"path": FOLDER, "labels": labels, "trained_on": "PTC train (gold)",
                           "combiner_and_thresholds_on": "PTC dev", "cv_f1_dev": estimate}
    stub = Classifier(clf.backend, manifest, out)
    stub.set_context(stage)
    results = {split: evaluate_rows(stub, rows[split], split, _pooled(stub, rows[split], units[split], raw[split]))
               for split in ("dev", "test")}
    manifest["metrics"] = {split: metrics_summary(r) for split, r in results.items()}
    with atomic_dir(out) as tmp:
        shutil.copytree(model_dir, tmp, dirs_exist_ok=True)
        stage.save(tmp / FOLDER)
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        write_model_card(tmp)
        Classifier.load(tmp)  # the folder must validate before it replaces the old one
    return {"cv_f1_dev": estimate, **manifest["metrics"]}


def _pooled(clf, rows, unit, outputs) -> np.ndarray:
    from .evaluate import in_context, pool

    texts, owners = unit
    return pool(in_context(clf, rows, texts, owners, outputs), owners, len(rows["unit"]))
