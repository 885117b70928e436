"""Scoring a model on a split of the sentence dataset.

Region rows (SemEval-2023 paragraphs, memes) are split into sentences and predicted as the union
of their sentences' labels, i.e. the per-label maximum probability against the threshold.
"""

from __future__ import annotations

import numpy as np

from .metrics import SMALL_SUPPORT, f1_interval, report
from .segment import segment_region
from .taxonomy import load_taxonomy

# The headline figures of a split come from its news technique set (the NLP4IF / SemEval anchors).
PRIMARY = {"train": "ptc", "dev": "ptc", "test": "semeval2023"}


def unit_sentences(rows) -> tuple[list[str], np.ndarray]:
    """The sentences a model scores for the rows, and the row each belongs to."""
    texts, owners = [], []
    for i, (unit, text) in enumerate(zip(rows["unit"], rows["text"])):
        if unit == "sentence":
            texts.append(text)
            owners.append(i)
        else:
            pieces = [s.text for s in segment_region(text, 0, len(text))] or [text]
            texts.extend(pieces)
            owners.extend([i] * len(pieces))
    return texts, np.asarray(owners, dtype=int)


def select_rows(rows: dict, keep) -> dict:
    """Columnar dataset rows where `keep` (one truth value per row, any iterable) holds."""
    keep = list(keep)
    return {k: [v for v, ok in zip(rows[k], keep) if ok] for k in rows}


def pool(probs: np.ndarray, owners: np.ndarray, n_rows: int) -> np.ndarray:
    """Per row, the per-output maximum over its sentences (a region's union of labels)."""
    out = np.zeros((n_rows, probs.shape[1]), dtype=np.float32)
    np.maximum.at(out, owners, probs)
    return out


def documents_of(rows, owners: np.ndarray) -> list[np.ndarray]:
    """The unit sentences of each document (source, doc_id), as indices in document order."""
    starts = np.asarray(rows["start"])[owners]
    keys = [f"{s}\x00{d}" for s, d in zip(np.asarray(rows["source"])[owners], np.asarray(rows["doc_id"])[owners])]
    order = sorted(range(len(owners)), key=lambda i: (keys[i], starts[i], i))
    groups: dict[str, list[int]] = {}
    for i in order:
        groups.setdefault(keys[i], []).append(i)
    return [np.asarray(g, dtype=int) for g in groups.values()]


def in_context(clf, rows, texts: list[str], owners: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Sentence outputs after the model's article stages (context, frames), each document's
    sentences taken together as `framing score` takes an article (unchanged without stages)."""
    if not clf.has_document_stages or not len(texts):
        return outputs
    out = np.array(outputs, dtype=np.float32, copy=True)
    for idx in documents_of(rows, owners):
        out[idx] = clf.document_outputs([texts[i] for i in idx], outputs[idx])
    return out


def unit_probabilities(clf, rows) -> np.ndarray:
    """One row of model outputs per dataset row, in row order, columns in clf.outputs order."""
    texts, owners = unit_sentences(rows)
    return pool(in_context(clf, rows, texts, owners, clf.predict_outputs(texts)), owners, len(rows["unit"]))


def aligned_targets(rows, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Gold and mask matrices of dataset rows (columns in taxonomy order) with columns in the
    model's label order: what every scorer of a model on the dataset compares against."""
    ids = load_taxonomy().ids
    cols = [ids.index(label) for label in labels]
    y = np.asarray(rows["labels"], dtype=bool)[:, cols]
    m = np.asarray(rows["mask"], dtype=bool)[:, cols]
    return y, m


# Frame annotations of the cross-source test (news from outlets none of the other sources cover)
# are scored on their own: "frames" keeps meaning the sources the frames were first annotated on.
CROSS_SOURCE = "frames:semeval2025"


def frame_source(source: str) -> str:
    """The corpus a frame-annotation row comes from: frames:ptc-dev -> ptc, and so on."""
    name = source.removeprefix("frames:")
    return "ptc" if name.startswith("ptc-") else "semeval2023" if name.startswith("semeval2023") else name


def set_names(sources: list[str]) -> dict[str, list[str]]:
    """Evaluation sets of a split: each corpus; the frame annotations of the original sources
    together ("frames"); each frame source on its own ("frames:<source>", frame labels only); the
    seeds with both families."""
    sets: dict[str, list[str]] = {}
    for source in sorted(set(sources)):
        if source.startswith("frames:"):
            if source != CROSS_SOURCE:
                sets.setdefault("frames", []).append(source)
            sets.setdefault(f"frames:{frame_source(source)}", []).append(source)
        else:
            sets.setdefault(source, []).append(source)
    if "frames:seeds" in sources:
        sets["seeds"] = ["frames:seeds"]
    return sets


def evaluate_rows(clf, rows, split: str, probs: np.ndarray | None = None) -> dict:
    probs = unit_probabilities(clf, rows) if probs is None else probs
    pred = clf.decide(probs)
    any_pred = clf.any_technique(probs)
    y, m = aligned_targets(rows, clf.labels)
    tax = load_taxonomy()
    tech_cols = tax.columns(clf.labels, "technique")
    sources = np.asarray(rows["source"])
    sets = {}
    frame_only = np.zeros(len(clf.labels), dtype=bool)
    frame_only[tax.columns(clf.labels, "frame")] = True
    for name, members in set_names(list(sources)).items():
        sel = np.isin(sources, members)
        # frame sets score the frame labels only
        mask = m[sel] & frame_only if name.startswith("frames") else m[sel]
        sets[name] = report(y[sel], pred[sel], mask, clf.labels, tech_cols, any_pred[sel])
        if name.startswith("frames"):  # few positives: say how uncertain the F1 is
            for j, label in enumerate(clf.labels):
                entry = sets[name]["per_label"].get(label)
                if entry and 0 < entry["support"] < SMALL_SUPPORT:
                    rows_j = mask[:, j]
                    entry["f1_ci95"] = f1_interval(y[sel][rows_j, j], pred[sel][rows_j, j])
    primary = PRIMARY[split]
    head = sets.get(primary, {"micro_f1": 0.0, "macro_f1": 0.0, "any_technique_f1": 0.0, "per_label": {}, "rows": 0})
    return {
        "split": split,
        "model": str(clf.path),
        "model_type": clf.model_type,
        "source": primary,
        "micro_f1": head["micro_f1"],
        "macro_f1": head["macro_f1"],
        "any_technique_f1": head.get("any_technique_f1", 0.0),
        "per_label": head["per_label"],
        "sets": sets,
    }


def evaluate(clf, split: str, data_dir=None, dataset=None) -> dict:
    from .dataset import load_dataset_dict

    dd = dataset or load_dataset_dict(data_dir)
    return evaluate_rows(clf, dd[split][:], split)
