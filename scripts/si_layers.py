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
    from si_experiment import gated_si, train_and_dev_tokens
    from transformers import AutoConfig

    from framing.span_training import GAPS, SI_GATES, THRESHOLDS, fit_head, head_probs

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    ap.add_argument("--sets", nargs="+", default=["-1", "-2", "-3", "-1,-2", "-1,-3", "-1,-2,-3,-4", "0,1,2,3,4,5,6"])
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=6)
    args = ap.parse_args()
    sets = [tuple(int(k) for k in s.split(",")) for s in args.sets]
    n_layers = AutoConfig.from_pretrained(args.model).num_hidden_layers + 1  # the embeddings, then each layer
    d = train_and_dev_tokens(args.model, tuple(range(n_layers)))
    x, y, x_dev, outputs = d["x"], d["y"], d["x_dev"], d["outputs"]
    width = d["backend"].model.config.hidden_size
    print(f"{len(x)} train tokens, {len(x_dev)} dev tokens, {n_layers} hidden states of {width}", flush=True)
    grid = list(itertools.product(SI_GATES, THRESHOLDS, GAPS))
    for chosen in sets:
        cols = np.concatenate([np.arange(width) + width * (k % n_layers) for k in chosen])
        layers = [len(cols), args.hidden, len(outputs)]
        head = fit_head(x[:, cols], y, layers, epochs=args.epochs, seed=0, log=None)
        probs = head_probs(head, x_dev[:, cols])
        print(f"layers {','.join(map(str, chosen))}: {gated_si(d, probs, grid)}", flush=True)


if __name__ == "__main__":
    main()
