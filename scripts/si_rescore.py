"""SI with a span re-scorer: candidate spans decoded loosely, then kept by a small model of how
much of each candidate is gold (docs/EXPERIMENTS.md, SI section).

Usage: .venv/bin/python scripts/si_rescore.py [MODEL]

The SI measure's precision averages, over predicted spans, the fraction of each span that gold
covers; the shipped decoding keeps a span by its tokens' scores and its sentence's any-technique
score alone. Here every candidate of a loose decoding (gate g, token threshold t, gap 16) gets a
dozen numbers (its token scores: mean, max, min, the scores just outside it; its length; its
sentence's any-technique and best technique score; how much of the sentence it covers; how many
candidates share the sentence), a regression learns the covered fraction, and candidates are kept
where the prediction reaches a cut. Everything is 5-fold cross-validated over the dev articles:
regression and cut fitted on four folds, the fifth decoded with them, SI scored once over all
held-out spans, next to the shipped rule's own cross-validated figure.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

CUTS = np.round(np.arange(0.05, 0.80, 0.025), 3)


def candidates(docs, index, probs, col: int, tech: np.ndarray, sent_any: np.ndarray, sent_tech: np.ndarray,
               threshold: float, gap: int, gate: float):
    """Per candidate span: its article id, document offsets and features."""
    from framing.span_decode import decode

    rows, feats = [], []
    k = 0
    for s, (n, start, offsets) in enumerate(index):
        m = len(offsets)
        p = probs[k: k + m, col]
        t = tech[k: k + m]
        k += m
        if sent_any[s] < gate or m == 0:
            continue
        doc = docs[n]
        found = decode(doc.text[start:], offsets, p[:, None], ["x"], np.array([threshold]), {"max_gap": gap})
        for a, b, _, _ in found:
            inside = np.flatnonzero((offsets[:, 0] < b) & (offsets[:, 1] > a))
            if len(inside) == 0:
                continue
            first, last = inside[0], inside[-1]
            span_p = p[first: last + 1]
            left = p[first - 1] if first > 0 else 0.0
            right = p[last + 1] if last + 1 < m else 0.0
            feats.append([span_p.mean(), span_p.max(), span_p.min(), (span_p >= threshold).mean(),
                          max(left, right), np.log1p(len(span_p)), np.log1p(b - a), np.log1p(m),
                          len(span_p) / m, sent_any[s], sent_tech[s].max(), t[first: last + 1].mean(axis=0).max(),
                          len(found)])
            rows.append((doc.doc_id, start + a, start + b))
    return rows, np.asarray(feats, np.float32)


def covered(rows, gold_merged: dict) -> np.ndarray:
    """Fraction of each candidate's characters inside the article's merged gold spans."""
    out = np.zeros(len(rows), np.float32)
    for i, (doc_id, a, b) in enumerate(rows):
        inter = sum(max(0, min(b, e) - max(a, s)) for s, e in gold_merged.get(doc_id, []))
        out[i] = inter / (b - a)
    return out


def fit(kind: str, x: np.ndarray, y: np.ndarray):
    if kind == "linear":
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(x, y)
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15,
                                         min_samples_leaf=40, random_state=0).fit(x, y)


def spans_of(rows, keep: np.ndarray, doc_ids) -> dict:
    out = {d: [] for d in doc_ids}
    for (doc_id, a, b), k in zip(rows, keep):
        if k:
            out[doc_id].append((a, b))
    return out


def main() -> None:
    from si_experiment import dev_token_scores

    from framing.span_metrics import merge, si_score
    from framing.taxonomy import ANY_TECHNIQUE

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    args = ap.parse_args()
    docs, clf, head, probs, index, scores = dev_token_scores(args.model)
    col = head.outputs.index(ANY_TECHNIQUE)
    tech = np.delete(probs, col, axis=1)
    sent_any = scores[:, clf.outputs.index(ANY_TECHNIQUE)]
    sent_tech = scores[:, clf.technique_cols]
    doc_ids = [d.doc_id for d in docs]
    gold = {d.doc_id: [(s.start, s.end) for s in d.spans] for d in docs}
    gold_merged = {d: merge(v) for d, v in gold.items()}
    rng = np.random.default_rng(0)
    folds = np.array_split(rng.permutation(len(docs)), 5)  # the folds of scripts/si_experiment.py

    shipped = head.decoding
    rows, _ = candidates(docs, index, probs, col, tech, sent_any, sent_tech, shipped["si_threshold"],
                         shipped["max_gap"], shipped.get("si_gate", 0.0))
    r = si_score(spans_of(rows, np.ones(len(rows), bool), doc_ids), gold)
    print(f"shipped decoding re-run: SI F1 {r['f1']:.4f} (P {r['precision']:.3f} R {r['recall']:.3f}), "
          f"{len(rows)} spans", flush=True)

    for kind, gate, threshold in itertools.product(("linear", "boosted"), (0.0, 0.3, 0.5), (0.5, 0.7, 0.8)):
        rows, feats = candidates(docs, index, probs, col, tech, sent_any, sent_tech, threshold, 16, gate)
        y = covered(rows, gold_merged)
        art = np.array([doc_ids.index(d) for d, _, _ in rows])
        held: dict = {}
        cuts = []
        for fold in folds:
            test = np.isin(art, fold)
            model = fit(kind, feats[~test], y[~test])
            train_ids = [doc_ids[i] for i in range(len(docs)) if i not in set(fold)]
            pred_tr = model.predict(feats[~test])
            rows_tr = [row for row, t in zip(rows, test) if not t]
            cut = max(CUTS, key=lambda c: si_score(spans_of(rows_tr, pred_tr >= c, train_ids),
                                                   {d: gold[d] for d in train_ids})["f1"])
            cuts.append(float(cut))
            pred = model.predict(feats[test])
            rows_te = [row for row, t in zip(rows, test) if t]
            fold_spans = spans_of(rows_te, pred >= cut, [doc_ids[i] for i in fold])
            held.update(fold_spans)
        cv = si_score(held, gold)
        plain = si_score(spans_of(rows, np.ones(len(rows), bool), doc_ids), gold)
        print(f"{kind} gate {gate} threshold {threshold}: {len(rows)} candidates (SI F1 of all {plain['f1']:.4f}); "
              f"5-fold CV with the re-scorer {cv['f1']:.4f} (P {cv['precision']:.3f} R {cv['recall']:.3f}); "
              f"cuts {cuts}", flush=True)


if __name__ == "__main__":
    main()
