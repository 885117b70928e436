"""Adding the article frame stage to a saved model (`framing frames train MODEL --out DIR`).

The stage learns from frame-annotated sentences whose scores are out of sample for the model:
the SemEval-2025 train and dev sentences (annotated after the shipped weights were trained),
scored inside their whole documents as `framing batch` scores them, and the dev sentences of
the other frame sources, inside the documents the dataset holds. Test sentences never enter.

Which frames the stage re-scores and its thresholds come from 5-fold cross-validation over those
documents (combiner and threshold fitted on four folds, scored on the fifth), next to the
sentence score alone under the same procedure: a frame is re-scored only where the stage wins on
the SemEval-2025 rows without losing more than one point on the other sources' rows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .atomic import atomic_dir
from .context_training import cross_validated_decisions
from .evaluate import (
    CROSS_SOURCE,
    aligned_targets,
    documents_of,
    evaluate_rows,
    frame_source,
    in_context,
    select_rows,
    unit_sentences,
)
from .manifest import MANIFEST_NAME, with_version
from .metrics import best_threshold, binary_f1
from .models.frame_stage import FEATURES, FILE, FrameStage, article_features
from .taxonomy import load_taxonomy

# a frame the stage may re-score must not lose more than this on the older sources' rows (CV F1)
MAX_LOSS_ELSEWHERE = 0.01


def _semeval2025_texts(data_dir) -> dict[str, str]:
    from .corpora import SEMEVAL2025_SPLITS, read_semeval2025
    from .paths import resolve_data_dir

    root = resolve_data_dir(data_dir)
    return {d.doc_id: d.text for split in SEMEVAL2025_SPLITS for d in read_semeval2025(root, split)}


def _whole_document_features(clf, rows: dict, texts: dict[str, str], cols: list[int]):
    """Per row (SemEval-2025), per frame, FEATURES of the row's sentence inside its whole document."""
    from .segment import segment

    out = np.zeros((len(rows["doc_id"]), len(cols), len(FEATURES)), dtype=np.float32)
    by_doc: dict[str, list[int]] = {}
    for i, doc_id in enumerate(rows["doc_id"]):
        by_doc.setdefault(doc_id, []).append(i)
    for doc_id, members in by_doc.items():
        sentences = [s for s in segment(texts[doc_id]) if s.skipped is None]
        probs = clf.document_outputs([s.text for s in sentences], clf.predict_outputs([s.text for s in sentences]))
        feats = [article_features(probs[:, c]) for c in cols]
        for i in members:
            overlap = [min(s.end, rows["end"][i]) - max(s.start, rows["start"][i]) for s in sentences]
            k = int(np.argmax(overlap))
            for j in range(len(cols)):
                out[i, j] = feats[j][k]
    return out


def _dataset_document_features(clf, rows: dict, cols: list[int]):
    """Per row, per frame, FEATURES of the row's highest-scoring sentence among the sentences
    of its document that the dataset holds (as `framing evaluate` groups them)."""
    texts, owners = unit_sentences(rows)
    probs = in_context(clf, rows, texts, owners, clf.predict_outputs(texts))
    out = np.zeros((len(rows["unit"]), len(cols), len(FEATURES)), dtype=np.float32)
    best = np.full((len(rows["unit"]), len(cols)), -np.inf)
    for idx in documents_of(rows, owners):
        for j, c in enumerate(cols):
            feats = article_features(probs[idx, c])
            for k, i in enumerate(idx):
                row = owners[i]
                if probs[i, c] > best[row, j]:
                    best[row, j], out[row, j] = probs[i, c], feats[k]
    return out


def frame_pool(clf, data_dir=None) -> dict:
    """The stage's training rows: features (rows, frames, FEATURES), gold, mask, document groups
    and whether each row is a SemEval-2025 one."""
    from .dataset import load_dataset_dict

    dd = load_dataset_dict(data_dir)
    cols = load_taxonomy().columns(clf.labels, "frame")
    train, dev = dd["train"][:], dd["dev"][:]
    cross = {"train": select_rows(train, (s == CROSS_SOURCE for s in train["source"])),
             "dev": select_rows(dev, (s == CROSS_SOURCE for s in dev["source"]))}
    others = select_rows(dev, (s.startswith("frames:") and s != CROSS_SOURCE for s in dev["source"]))
    texts = _semeval2025_texts(data_dir)
    parts = [(_whole_document_features(clf, cross[k], texts, cols), cross[k], True) for k in ("train", "dev")]
    parts.append((_dataset_document_features(clf, others, cols), others, False))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([aligned_targets(p[1], clf.labels)[0][:, cols] for p in parts])
    m = np.concatenate([aligned_targets(p[1], clf.labels)[1][:, cols] for p in parts])
    groups = np.concatenate([[f"{s}\x00{d}" for s, d in zip(p[1]["source"], p[1]["doc_id"])] for p in parts])
    cross_rows = np.concatenate([np.full(len(p[1]["doc_id"]), p[2]) for p in parts])
    sources = np.concatenate([[frame_source(s) for s in p[1]["source"]] for p in parts])
    return {"frames": [clf.labels[c] for c in cols], "columns": cols, "x": x, "y": y, "mask": m,
            "groups": np.unique(groups, return_inverse=True)[1], "cross_source": cross_rows, "source": sources}


def compare(pool: dict, folds: int = 5, feature_columns=tuple(range(len(FEATURES)))) -> dict:
    """Per frame, cross-validated F1 of the sentence score alone and with the article features,
    on the SemEval-2025 rows and on the other sources' rows."""
    table = {}
    for j, frame in enumerate(pool["frames"]):
        keep = pool["mask"][:, j]
        x, y, g, cross = pool["x"][keep, j], pool["y"][keep, j], pool["groups"][keep], pool["cross_source"][keep]
        row = {"positives": {"semeval2025": int(y[cross].sum()), "other_sources": int(y[~cross].sum())}}
        source = pool["source"][keep]
        for name, features in (("sentence", x[:, :1]), ("with_article", x[:, list(feature_columns)])):
            pred = cross_validated_decisions(features, y, g, folds)
            row[name] = {"semeval2025": round(binary_f1(pred[cross], y[cross]), 4),
                         "other_sources": round(binary_f1(pred[~cross], y[~cross]), 4), "all": round(binary_f1(pred, y), 4)}
            # each other source on its own: a small one may lose what a large one gains
            row[name]["per_source"] = {str(src): {"f1": round(binary_f1(pred[source == src], y[source == src]), 4),
                                                  "positives": int(y[source == src].sum())}
                                       for src in sorted(set(source[~cross]))}
        s, a = row["sentence"], row["with_article"]
        row["re_scored"] = bool(a["semeval2025"] > s["semeval2025"]
                                and a["other_sources"] >= s["other_sources"] - MAX_LOSS_ELSEWHERE)
        table[frame] = row
    return table


def fit_stage(pool: dict, frames: list[str], folds: int = 5) -> tuple[FrameStage, dict[str, float]]:
    """The stage for `frames`, fitted on every pool row, and each frame's threshold: the F1-optimal
    one on the rows' cross-validated stage probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    weights, intercepts, thresholds = [], [], {}
    for frame in frames:
        j = pool["frames"].index(frame)
        keep = pool["mask"][:, j]
        x, y, g = pool["x"][keep, j], pool["y"][keep, j], pool["groups"][keep]
        oof = np.zeros(len(y))
        for tr, te in GroupKFold(folds).split(x, y, g):
            oof[te] = LogisticRegression(max_iter=2000).fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
        lr = LogisticRegression(max_iter=2000).fit(x, y)
        weights.append(lr.coef_[0])
        intercepts.append(lr.intercept_[0])
        thresholds[frame] = float(best_threshold(y, oof))
    return FrameStage(frames, np.array(weights), np.array(intercepts)), thresholds


def train_frame_stage(model_dir, out, data_dir=None, log=print) -> dict:
    from .dataset import load_dataset_dict
    from .inference import Classifier
    from .model_card import write_model_card
    from .training import metrics_summary

    model_dir, out = Path(model_dir), Path(out)
    clf = Classifier.load(model_dir, device="cpu", precision="fp32")
    if clf.frame_stage is not None:
        raise ValueError(f"{model_dir} already has a frame stage; start from the model without one")
    pool = frame_pool(clf, data_dir)
    log(f"frame stage: {len(pool['y'])} rows ({int(pool['cross_source'].sum())} SemEval-2025), "
        f"{len(np.unique(pool['groups']))} documents")
    table = compare(pool)
    log(json.dumps(table))
    frames = [f for f, row in table.items() if row["re_scored"]]
    if not frames:
        raise ValueError("the article features beat the sentence score for no frame under cross-validation; "
                         "the model is left as it is")
    stage, thresholds = fit_stage(pool, frames)
    manifest = with_version(dict(clf.manifest))
    manifest["thresholds"] = {**clf.manifest["thresholds"], **thresholds}
    stub = Classifier(clf.backend, manifest, out)
    stub.set_context(clf.context)
    stub.set_frame_stage(stage)
    dd = load_dataset_dict(data_dir)
    manifest["metrics"] = {split: metrics_summary(evaluate_rows(stub, dd[split][:], split)) for split in ("dev", "test")}
    with atomic_dir(out) as tmp:
        shutil.copytree(model_dir, tmp, dirs_exist_ok=True)
        manifest["frame_stage"] = stage.save(tmp / FILE, {
            "trained_on": "SemEval-2025 train+dev sentences in their whole documents; dev sentences of the other "
                          "frame sources", "thresholds_by": "5-fold cross-validation over those documents",
            "cv_f1": table})
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        write_model_card(tmp)
        Classifier.load(tmp)  # the folder must validate before it replaces the old one
    return {"cv_f1": table, "frames": frames, "thresholds": thresholds, **manifest["metrics"]}
