"""Document narratives as weak negatives for the frame rows (docs/EXPERIMENTS.md, frames).

Usage: .venv/bin/python scripts/frame_weak.py [MODEL]

The SemEval-2025 train documents carry document-level narratives. Checked first against this
project's own sentence annotations of those documents (printed): a document whose only label is
"Other", or whose narratives are all climate-change ones, rarely holds a frame sentence, while the
Ukraine-war documents with other narratives hold about as many discrediting-the-west sentences
as those labelled "Discrediting the West". So only the first kind give weak labels: every
sentence of those train documents not already annotated becomes a row with no frame, at a sample
weight w. Documents whose annotated sentences are in the frame dev split are left out.

Candidates, as `framing frames head` builds them (a logistic regression per frame over the frozen
pooled output, frame thresholds per frame on dev), for C in a grid and w in (0, 0.3, 1.0), w = 0
being the plain refit; ranked by the refit's dev score (mean frames dev macro-F1 of the original
sources and of the SemEval-2025 news). Test per source is printed for each, report-only.
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np

QUIET = ("Other only", "climate change only")


def narrative_kind(narratives: list[str]) -> str:
    """Which kind of SemEval-2025 train document the narratives make it, for the weak labels."""
    if narratives == ["Other"]:
        return "Other only"
    if narratives and all(n.startswith("CC:") for n in narratives):
        return "climate change only"
    return "Discrediting the West" if any("Discrediting the West" in n for n in narratives) else "other war"


def main() -> None:
    from framing.annotations import FRAMES_FILE, parse_labels, read_tsv
    from framing.corpora import read_semeval2025
    from framing.dataset import load_dataset_dict
    from framing.frame_head import (
        C_GRID,
        _evaluate,
        _split_inputs,
        _stored_dtype,
        annotated_train_sentences,
        dev_score,
        fit_frame_rows,
        frame_columns,
        pooled_features,
    )
    from framing.inference import Classifier
    from framing.paths import resolve_data_dir
    from framing.segment import segment

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    args = ap.parse_args()
    root = resolve_data_dir(None)
    annotated = {(rec["doc_id"], int(rec["start"])): (rec["split"], parse_labels(rec["frames"], "frame"))
                 for rec in read_tsv(FRAMES_FILE) if rec["source"] == "semeval2025" and rec["pass"] == "1"}
    by_doc: dict[str, list[tuple[str, set]]] = {}
    for (doc_id, _), judged in annotated.items():
        by_doc.setdefault(doc_id, []).append(judged)
    train_docs = read_semeval2025(root, "train")
    kinds = {doc.doc_id: narrative_kind(doc.meta.get("narratives") or []) for doc in train_docs}

    # the check of the weak labels against the project's own sentence labels
    counts: dict = {}
    for doc in train_docs:
        for _, frames in by_doc.get(doc.doc_id, []):
            k = counts.setdefault(kinds[doc.doc_id], [0, 0, 0])
            k[0] += 1
            k[1] += "discrediting-the-west" in frames
            k[2] += "anti-hegemony" in frames
    for kind, (n, dw, ah) in counts.items():
        print(f"annotated sentences of train documents, {kind}: {n}; discrediting-the-west {dw} ({dw / n:.1%}), "
              f"anti-hegemony {ah} ({ah / n:.1%})", flush=True)

    clf = Classifier.load(args.model, device="cpu", precision="fp32")
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    cols = frame_columns(clf.outputs)
    frames = [clf.outputs[j] for j in cols]
    dd = load_dataset_dict(None)
    texts, y, m = annotated_train_sentences(dd, frames)
    # quiet documents none of whose annotated sentences is in the frame dev split
    docs = [doc for doc in train_docs
            if kinds[doc.doc_id] in QUIET and {split for split, _ in by_doc.get(doc.doc_id, [])} <= {"train"}]
    weak = [s.text for doc in docs for s in segment(doc.text)
            if s.skipped is None and (doc.doc_id, s.start) not in annotated]
    print(f"{len(texts)} annotated train sentences; {len(weak)} weak no-frame sentences from {len(docs)} documents",
          flush=True)
    x_gold, x_weak = pooled_features(backend, texts), pooled_features(backend, weak)
    x = np.concatenate([x_gold, x_weak])
    y_all = np.concatenate([y, np.zeros((len(weak), len(frames)), bool)])
    m_all = np.concatenate([m, np.ones((len(weak), len(frames)), bool)])
    rows = {split: dd[split][:] for split in ("dev", "test")}
    inputs = {split: _split_inputs(clf, r) for split, r in rows.items()}
    stored = _stored_dtype(args.model)
    test_sets = ("frames", "frames:semeval2025", "frames:euvsdisinfo", "frames:semeval2023", "frames:ptc", "seeds")
    for c, w in itertools.product(C_GRID[:3], (0.0, 0.3, 1.0)):
        weight = np.concatenate([np.ones(len(texts)), np.full(len(weak), w)])
        use = weight > 0
        fitted = fit_frame_rows(x[use], y_all[use], m_all[use], c, weight[use])
        wts, b = (a.astype(stored).astype(np.float32) for a in fitted)
        dev, thresholds = _evaluate(clf, rows["dev"], inputs["dev"], wts, b, None, "dev")
        test, _ = _evaluate(clf, rows["test"], inputs["test"], wts, b, thresholds, "test")
        dw = test["sets"]["frames:semeval2025"]["per_label"]["discrediting-the-west"]
        print(json.dumps({"C": c, "weak weight": w, "dev score": round(dev_score(dev), 4),
                          "dev": {s: round(dev["sets"][s]["macro_f1"], 4) for s in ("frames", "frames:semeval2025")},
                          "test macro": {s: round(test["sets"][s]["macro_f1"], 3) for s in test_sets
                                         if s in test["sets"]},
                          "test semeval2025 DW": {k: dw[k] for k in ("precision", "recall", "f1")}}), flush=True)


if __name__ == "__main__":
    main()
