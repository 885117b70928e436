"""Frames beyond the sentence and beyond their sources.

Document level: the article score of a frame is the highest probability any of its sentences gets
(the multiple-instance reading of a document label: a document with the narrative has at least
one sentence with the frame); an article carries the frame when one of its sentences does, as
`framing batch` reports it. Scored against SemEval-2025 Task 10's document narratives.

Leave one source out: the baseline recipe retrained without one source's frame annotations (in
train and in the dev rows that choose thresholds), tested on that source's test sentences, next
to the same recipe trained on everything: what the model learns about a source, not a frame.
"""

from __future__ import annotations

import numpy as np

from .evaluate import aligned_targets, evaluate_rows, frame_source, select_rows, unit_probabilities
from .taxonomy import load_taxonomy

DW_NARRATIVE = "URW: Discrediting the West, Diplomacy"
# The narrative each frame is checked against first; the table adds every URW narrative present.
PRIMARY_NARRATIVE = {"discrediting-the-west": DW_NARRATIVE}
LOSO_SOURCES = ("seeds", "euvsdisinfo", "semeval2023", "ptc", "semeval2025")


def article_frame_scores(clf, docs) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per document, the maximum sentence probability of each frame, and whether any sentence
    reaches the frame's threshold; columns in the model's frame order."""
    from .segment import segment

    tax = load_taxonomy()
    cols = tax.columns(clf.labels, "frame")
    frames = [clf.labels[j] for j in cols]
    scores = np.zeros((len(docs), len(cols)), np.float32)
    flags = np.zeros((len(docs), len(cols)), bool)
    for i, doc in enumerate(docs):
        texts = [s.text for s in segment(doc.text) if s.skipped is None]
        if not texts:
            continue
        probs = clf.document_outputs(texts, clf.predict_outputs(texts))[:, cols]  # as `framing batch` scores them
        scores[i] = probs.max(axis=0)
        flags[i] = (probs >= clf.thresholds[cols]).any(axis=0)
    return scores, flags, frames


def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, s)), 4) if 0 < y.sum() < len(y) else None


def narrative_report(clf, data_dir=None, split: str = "dev") -> dict:
    """ROC-AUC of each article frame score and F1 of the article decision against each URW
    narrative of the SemEval-2025 `split` documents (dev: the 40 cross-source test documents)."""
    from .corpora import read_semeval2025
    from .metrics import prf
    from .paths import resolve_data_dir

    docs = read_semeval2025(resolve_data_dir(data_dir), split)
    docs = [d for d in docs if d.meta.get("narratives")]
    scores, flags, frames = article_frame_scores(clf, docs)
    narratives = sorted({n for d in docs for n in d.meta["narratives"] if n.startswith("URW:")})
    table = {}
    for narrative in narratives:
        y = np.array([narrative in d.meta["narratives"] for d in docs])
        row = {"documents": int(y.sum())}
        for j, frame in enumerate(frames):
            tp = int((flags[:, j] & y).sum())
            p, r, f1 = (float(x) for x in prf(tp, int(flags[:, j].sum()) - tp, int(y.sum()) - tp))
            row[frame] = {"roc_auc": _auc(y, scores[:, j]), "precision": round(p, 4), "recall": round(r, 4),
                          "f1": round(f1, 4)}
        table[narrative] = row
    primary = {frame: {"narrative": n, **table[n][frame]} for frame, n in PRIMARY_NARRATIVE.items()
               if n in table and frame in frames}
    return {"split": split, "documents": len(docs), "article_score": "max sentence probability",
            "primary": primary, "narratives": table}


def _is_frames_of(row_source: str, source: str) -> bool:
    return row_source.startswith("frames:") and frame_source(row_source) == source


def without_source(rows: dict, source: str) -> dict:
    """Columnar dataset rows without `source`'s frame annotations (its technique rows stay:
    PTC's sentences keep teaching techniques when PTC's frame annotations are left out)."""
    return select_rows(rows, [not _is_frames_of(s, source) for s in rows["source"]])


def only_source(rows: dict, source: str) -> dict:
    """Columnar dataset rows: `source`'s frame annotations alone."""
    return select_rows(rows, [_is_frames_of(s, source) for s in rows["source"]])


def leave_one_source_out(data_dir=None, sources=LOSO_SOURCES, settings=None, log=print) -> dict:
    """Frame F1 on each source's test sentences of the baseline recipe trained with and without
    that source's frame annotations (thresholds tuned on dev, without the source when it is left out)."""
    from .dataset import load_dataset_dict
    from .inference import Classifier
    from .models.baseline import BaselineModel, BaselineSettings
    from .training import add_fragments, ptc_train_docs, trainable_labels, tune_thresholds, with_any_head

    settings = settings or BaselineSettings()
    dd = load_dataset_dict(data_dir)
    labels = trainable_labels(dd["train"])
    frames = [labels[j] for j in load_taxonomy().columns(labels, "frame")]
    docs = ptc_train_docs(data_dir)
    rows = {split: dd[split][:] for split in ("train", "dev", "test")}

    def keep(split: str, held_out: str | None) -> dict:
        return rows[split] if held_out is None else without_source(rows[split], held_out)

    def fit(held_out: str | None):
        train = keep("train", held_out)
        y, m = aligned_targets(train, labels)
        y, m, outputs = with_any_head(labels, y, m)
        texts, y, m, _ = add_fragments(list(train["text"]), y, m, outputs, docs)
        model = BaselineModel(outputs, settings).fit(texts, y, m)
        stub = {"labels": labels, "outputs": outputs, "thresholds": dict.fromkeys(labels, 0.5), "model_type": "baseline"}
        clf = Classifier(model, stub, "baseline")
        dev = keep("dev", held_out)
        thresholds, gate = tune_thresholds(clf, dev, unit_probabilities(clf, dev))
        return Classifier(model, {**stub, "thresholds": thresholds, "any_technique": gate}, "baseline")

    def frame_f1(clf, source: str) -> dict:
        part = only_source(rows["test"], source)
        block = evaluate_rows(clf, part, "test")["sets"][f"frames:{source}"]
        return {"sentences": block["rows"], "macro_f1": round(block["macro_f1"], 4),
                **{f: round(block["per_label"][f]["f1"], 4) for f in frames if f in block["per_label"]},
                "support": {f: block["per_label"][f]["support"] for f in frames if f in block["per_label"]}}

    log("training the baseline on every source")
    everything = fit(None)
    table = {}
    for source in sources:
        log(f"training the baseline without {source}")
        table[source] = {"all_sources": frame_f1(everything, source), "without_it": frame_f1(fit(source), source)}
    return {"model": "baseline recipe", "settings": vars(settings), "frames": frames, "sources": table}
