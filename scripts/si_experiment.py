"""SI decoding variants on PTC dev for the shipped span head (docs/EXPERIMENTS.md, 2026-12-03).

Usage: .venv/bin/python scripts/si_experiment.py [MODEL]

Families of decoding, each over a grid of (gate or weight, token threshold, max gap):
  hard gate  - the shipped rule: spans of the any-technique tokens over the threshold, only in
               sentences whose any-technique score reaches the gate;
  soft gate  - token score x sentence any-technique score ** b, one threshold;
  smoothed   - the hard gate on token scores averaged over a window of 3 tokens;
  wider gaps - the hard gate bridging longer runs of weak tokens (up to a whole sentence).
For each family: the best dev SI F1 in sample (what `framing spans train` would pick) and a 5-fold
cross-validated figure over the dev articles (settings chosen on four folds, spans of the fifth
decoded with them, SI scored once over all articles).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np


def main() -> None:
    from framing.span_training import GAPS, SI_GATES, THRESHOLDS, _decoded
    from framing.taxonomy import ANY_TECHNIQUE

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    ap.add_argument("--family", action="append", help="only these families (default: all)")
    args = ap.parse_args()
    docs, clf, head, probs, index, scores = dev_token_scores(args.model)
    col = head.outputs.index(ANY_TECHNIQUE)
    sentence_any = scores[:, clf.outputs.index(ANY_TECHNIQUE)]
    per_token = np.concatenate([np.full(len(o), sentence_any[s]) for s, (_, _, o) in enumerate(index)])
    smooth = probs[:, [col]].copy()
    k = 0
    for _, _, offsets in index:  # a 3-token mean inside each sentence
        n = len(offsets)
        v = probs[k: k + n, col]
        if n > 1:
            padded = np.r_[v[0], v, v[-1]]
            smooth[k: k + n, 0] = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
        k += n
    gold = {d.doc_id: [(s.start, s.end) for s in d.spans] for d in docs}

    def spans(setting):
        family, knob, t, gap = setting
        if family == "soft":
            p = (probs[:, col] * per_token ** knob)[:, None]
            found = _decoded(docs, index, p, 0, t, gap)
        elif family == "smoothed":
            found = _decoded(docs, index, smooth, 0, t, gap, sentence_any >= knob)
        else:
            found = _decoded(docs, index, probs, col, t, gap, sentence_any >= knob)
        return found

    families = {"hard gate": [("hard", g, t, gap) for g, t, gap in itertools.product(SI_GATES, THRESHOLDS, GAPS)],
                "soft gate": [("soft", b, t, gap) for b, t, gap in itertools.product((0.5, 1.0, 2.0, 3.0),
                                                                                       (0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
                                                                                       GAPS)],
                "smoothed": [("smoothed", g, t, gap) for g, t, gap in itertools.product(SI_GATES, THRESHOLDS, GAPS)],
                "hard gate, wider gaps": [("hard", g, t, gap) for g, t, gap in itertools.product(
                    SI_GATES, THRESHOLDS, (16, 24, 32, 64, 128))]}
    rng = np.random.default_rng(0)
    folds = np.array_split(rng.permutation(len(docs)), 5)
    only = set(args.family or families)
    for name, grid in ((n, g) for n, g in families.items() if n in only):
        best, r, cv = in_sample_and_cv(grid, {s: spans(s) for s in grid}, gold, [d.doc_id for d in docs], folds)
        print(f"{name}: {len(grid)} settings; best in sample {best[1:]}: SI F1 {r['f1']:.4f} (P {r['precision']:.3f} "
              f"R {r['recall']:.3f}); 5-fold CV over articles {cv['f1']:.4f}", flush=True)


def _frozen_tokens(model: str, splits: tuple[str, ...], layers: tuple[int, ...] = (-1,), context: int = 0):
    """The loaded model, its primary backend and span head, per split the PTC articles and their
    frozen-encoder token features, targets and index (`token_dataset`, the head switched off as
    it was trained), and the model's outputs of every dev sentence."""
    from framing.corpora import read_ptc
    from framing.inference import Classifier
    from framing.paths import resolve_data_dir
    from framing.span_training import article_units, token_dataset

    root = resolve_data_dir(None)
    clf = Classifier.load(model, device="cpu", precision="auto")
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    head = backend.span_head
    backend.span_head = None
    tokens = {}
    for split in splits:
        docs = read_ptc(root, split)
        tokens[split] = (docs, *token_dataset(backend, docs, head.outputs, log=None, context=context, layers=layers))
    backend.span_head = head
    scores = clf.predict_outputs([t for doc in tokens["dev"][0] for _, _, t in article_units(doc)])
    return clf, backend, head, tokens, scores


def dev_token_scores(model: str):
    """PTC dev articles, the loaded model, its span head, the head's token scores over every dev
    sentence, each sentence's tokens (`token_dataset`'s index) and each sentence's model outputs."""
    from framing.span_training import head_probs

    clf, _, head, tokens, scores = _frozen_tokens(model, ("dev",))
    docs, x, _, index = tokens["dev"]
    return docs, clf, head, head_probs(head.module, x), index, scores


def train_and_dev_tokens(model: str, layers: tuple[int, ...] = (-1,), context: int = 0) -> dict:
    """What a span-head experiment needs: the model's frozen-encoder token features of PTC train
    (`x`, targets `y`) and dev (`x_dev`, its sentences' tokens `index`), the dev articles, the
    any-technique column of the head, each dev sentence's any-technique score and the 5-fold
    article folds of this script. `context`: each token's state beside its neighbours', as
    `framing spans train --context` reads them."""
    from framing.taxonomy import ANY_TECHNIQUE

    clf, backend, head, tokens, scores = _frozen_tokens(model, ("train", "dev"), layers, context)
    (_, x, y, _), (dev, x_dev, _, index) = tokens["train"], tokens["dev"]
    return {"backend": backend, "outputs": head.outputs, "x": x, "y": y, "x_dev": x_dev, "index": index, "dev": dev,
            "col": head.outputs.index(ANY_TECHNIQUE), "sentence_any": scores[:, clf.outputs.index(ANY_TECHNIQUE)],
            "folds": np.array_split(np.random.default_rng(0).permutation(len(dev)), 5)}


def gated_si(d: dict, probs, grid) -> str:
    """One line for a head's token scores on PTC dev (`d` from `train_and_dev_tokens`): the
    hard-gate setting (gate, threshold, gap) of `grid` best in sample, its SI F1, and the 5-fold
    cross-validated figure."""
    from framing.span_training import _decoded

    dev, index, col, sentence_any, folds = d["dev"], d["index"], d["col"], d["sentence_any"], d["folds"]
    gold = {doc.doc_id: [(s.start, s.end) for s in doc.spans] for doc in dev}
    cache = {(g, t, gap): _decoded(dev, index, probs, col, t, gap, sentence_any >= g) for g, t, gap in grid}
    best, r, cv = in_sample_and_cv(grid, cache, gold, [doc.doc_id for doc in dev], folds)
    return (f"best in sample (gate, threshold, gap) {best}: SI F1 {r['f1']:.4f} (P {r['precision']:.3f} "
            f"R {r['recall']:.3f}); 5-fold CV over articles {cv['f1']:.4f}")


def in_sample_and_cv(grid, cache: dict, gold: dict, doc_ids: list[str], folds) -> tuple:
    """The setting with the best SI F1 over all articles, its score, and the 5-fold figure: the
    setting chosen on four folds decodes the fifth, SI scored once over all the held-out spans."""
    from framing.span_metrics import si_score

    best = max(grid, key=lambda s: si_score(cache[s], gold)["f1"])
    held_out = {}
    for fold in folds:
        ids = [doc_ids[i] for i in range(len(doc_ids)) if i not in set(fold)]
        pick = max(grid, key=lambda s: si_score({d: cache[s][d] for d in ids}, {d: gold[d] for d in ids})["f1"])
        held_out.update({doc_ids[i]: cache[pick][doc_ids[i]] for i in fold})
    return best, si_score(cache[best], gold), si_score(held_out, gold)


if __name__ == "__main__":
    main()
