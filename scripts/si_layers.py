"""Span heads reading other hidden layers of the frozen encoder (docs/EXPERIMENTS.md, #15).

Usage: .venv/bin/python scripts/si_layers.py [MODEL] [--sets "-1" "-1,-2" ...]

The shipped head reads the last hidden state. The encoder's last layer was fine-tuned for
sentence labels (and souped), so earlier layers may keep more of what marks a word: each set of
layers is read side by side (one forward pass computes them all), a head of the shipped shape
(256 hidden units, 6 epochs, seed 0) is trained on the PTC train tokens, and its any-technique
tokens are decoded on PTC dev with the shipped hard-gate grid: the best setting in sample (what
`framing spans train` picks) and the 5-fold cross-validated figure over the dev articles.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from si_experiment import in_sample_and_cv

    from framing.corpora import read_ptc
    from framing.inference import Classifier
    from framing.paths import resolve_data_dir
    from framing.span_training import GAPS, SI_GATES, THRESHOLDS, _decoded, article_units, fit_head, head_probs, token_dataset
    from framing.taxonomy import ANY_TECHNIQUE

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    ap.add_argument("--sets", nargs="+", default=["-1", "-2", "-3", "-1,-2", "-1,-3", "-1,-2,-3,-4", "0,1,2,3,4,5,6"])
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=6)
    args = ap.parse_args()
    sets = [tuple(int(k) for k in s.split(",")) for s in args.sets]
    root = resolve_data_dir(None)
    train, dev = read_ptc(root, "train"), read_ptc(root, "dev")
    clf = Classifier.load(args.model, device="cpu", precision="auto")
    backend = clf.backend.primary if clf.manifest.get("blend") else clf.backend
    outputs = backend.span_head.outputs
    backend.span_head = None  # features from the frozen encoder alone
    n_layers = backend.model.config.num_hidden_layers + 1  # the embeddings, then each layer
    every = tuple(range(n_layers))
    width = backend.model.config.hidden_size
    x, y, _ = token_dataset(backend, train, outputs, log=None, layers=every)
    x_dev, _, index = token_dataset(backend, dev, outputs, log=None, layers=every)
    print(f"{len(x)} train tokens, {len(x_dev)} dev tokens, {n_layers} hidden states of {width}", flush=True)
    col = outputs.index(ANY_TECHNIQUE)
    texts = [t for d in dev for _, _, t in article_units(d)]
    sentence_any = clf.predict_outputs(texts)[:, clf.outputs.index(ANY_TECHNIQUE)]
    gold = {d.doc_id: [(s.start, s.end) for s in d.spans] for d in dev}
    folds = np.array_split(np.random.default_rng(0).permutation(len(dev)), 5)
    grid = list(itertools.product(SI_GATES, THRESHOLDS, GAPS))
    for chosen in sets:
        cols = np.concatenate([np.arange(width) + width * (k % n_layers) for k in chosen])
        layers = [len(cols), args.hidden, len(outputs)]
        head = fit_head(x[:, cols], y, layers, epochs=args.epochs, seed=0, log=None)
        probs = head_probs(head, x_dev[:, cols])
        cache = {(g, t, gap): _decoded(dev, index, probs, col, t, gap, sentence_any >= g) for g, t, gap in grid}
        best, r, cv = in_sample_and_cv(grid, cache, gold, [d.doc_id for d in dev], folds)
        print(f"layers {','.join(map(str, chosen))}: best in sample (gate, threshold, gap) {best}: SI F1 {r['f1']:.4f} "
              f"(P {r['precision']:.3f} R {r['recall']:.3f}); 5-fold CV over articles {cv['f1']:.4f}", flush=True)


if __name__ == "__main__":
    main()
