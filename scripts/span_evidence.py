"""Span evidence for sentence techniques: does the span head's best token score per technique,
mixed into the sentence score, find more of the rare techniques? (docs/EXPERIMENTS.md)

Usage: .venv/bin/python scripts/span_evidence.py [MODEL]

The span head reads every token's state and was trained on PTC train's spans (token-level
supervision); the sentence classifier reads the pooled sentence. Both come from the same forward
pass, so a mix costs nothing at inference. For a grid of mixing weights a (p = (1 - a) * sentence
score + a * max token score of the technique), per-technique thresholds maximising F1 are chosen
(a) on all of PTC dev (in sample) and (b) on four folds of dev articles, the fifth decided with
them (5-fold CV); test (SemEval-2023 paragraphs of the PTC test articles) is reported with the
in-sample thresholds, never used to choose.
"""

from __future__ import annotations

import argparse

import numpy as np


def f1s(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Micro-F1, macro-F1 and per-column F1 (framing.metrics.prf over the columns' counts)."""
    from framing.metrics import prf

    tp, fp, fn = (y & pred).sum(0), (~y & pred).sum(0), (y & ~pred).sum(0)
    per = prf(tp, fp, fn)[2]
    return float(prf(tp.sum(), fp.sum(), fn.sum())[2]), float(per.mean()), per


def best_thresholds(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each column's F1-optimal threshold, as `framing.metrics.best_threshold` (the label-f1 rule) picks it."""
    from framing.metrics import best_threshold

    return np.array([best_threshold(y[:, j], p[:, j]) for j in range(y.shape[1])])


def token_max(clf, texts: list[str], cols: list[int]) -> np.ndarray:
    """Per text, the span head's highest token score of each technique (columns as `cols`)."""
    out = np.zeros((len(texts), len(cols)), np.float32)
    for k in range(0, len(texts), 256):
        prediction = clf.backend.predict_outputs(texts[k: k + 256])
        for i, tokens in enumerate(prediction.tokens):
            if len(tokens.probs):
                out[k + i] = tokens.probs[:, cols].max(axis=0)
    return out


def main() -> None:
    from framing.dataset import load_dataset_dict
    from framing.evaluate import aligned_targets, in_context, pool, select_rows, unit_sentences
    from framing.inference import Classifier
    from framing.taxonomy import load_taxonomy

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    args = ap.parse_args()
    clf = Classifier.load(args.model, device="cpu", precision="auto")
    head = clf.backend.span_head
    tech = load_taxonomy().columns(clf.labels, "technique")
    names = [clf.labels[j] for j in tech]
    head_cols = [head.outputs.index(n) for n in names]
    dd = load_dataset_dict(None)
    sets = {}
    for split, source in (("dev", "ptc"), ("test", "semeval2023")):
        rows = dd[split][:]
        rows = select_rows(rows, (s == source for s in rows["source"]))
        texts, owners = unit_sentences(rows)
        n = len(rows["unit"])
        sentence = pool(in_context(clf, rows, texts, owners, clf.predict_outputs(texts)), owners, n)[:, tech]
        tokens = pool(token_max(clf, texts, head_cols), owners, n)
        y, m = aligned_targets(rows, clf.labels)
        sets[split] = (sentence, tokens, y[:, tech] & m[:, tech], np.asarray(rows["doc_id"]))
        print(f"{split}: {n} rows, {len(texts)} sentences", flush=True)
    s_dev, t_dev, y_dev, docs = sets["dev"]
    s_te, t_te, y_te, _ = sets["test"]
    ids = sorted(set(docs))
    rng = np.random.default_rng(0)
    folds = np.array_split(rng.permutation(len(ids)), 5)
    for a in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
        p_dev = (1 - a) * s_dev + a * t_dev
        th = best_thresholds(y_dev, p_dev)
        micro, macro, _ = f1s(y_dev, p_dev >= th)
        held = np.zeros_like(y_dev)
        for fold in folds:
            test = np.isin(docs, [ids[i] for i in fold])
            th_f = best_thresholds(y_dev[~test], p_dev[~test])
            held[test] = p_dev[test] >= th_f
        cv_micro, cv_macro, cv_per = f1s(y_dev, held)
        te_micro, te_macro, te_per = f1s(y_te, ((1 - a) * s_te + a * t_te) >= th)
        worst = ", ".join(f"{names[j]} {te_per[j]:.3f}" for j in np.argsort(te_per)[:2])
        print(f"a {a}: dev in sample micro {micro:.4f} macro {macro:.4f}; 5-fold CV micro {cv_micro:.4f} macro "
              f"{cv_macro:.4f} (lowest {cv_per.min():.3f}); test micro {te_micro:.4f} macro {te_macro:.4f} "
              f"(lowest: {worst})", flush=True)


if __name__ == "__main__":
    main()
