"""TC variants on PTC dev, next to the shipped span classifier (docs/EXPERIMENTS.md, 2026-12-03).

Usage: .venv/bin/python scripts/tc_experiment.py [MODEL] [--cache DIR]

Every variant is fitted on PTC train spans and scored on the PTC dev gold spans the way
`framing evaluate --task tc` scores (a span with k gold lines gets the model's k best); one line
is printed per variant, so the count of lines is the count of dev candidates. Features of the
model's frozen encoder are cached in DIR between runs (a few minutes to compute).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np


def span_rows(clf, docs, techniques):
    """Per gold span: the shipped classifier's features, the mean and max of the span head's
    token scores over it, its text and its technique index."""
    import torch

    from framing.span_classify import span_features

    module = clf.backend.span_head.module
    x, pooled, texts, y = [], [], [], []
    for doc in docs:
        tokens = clf.document_tokens(doc.text)
        with torch.inference_mode():
            probs = torch.sigmoid(module(torch.from_numpy(tokens.hidden.astype(np.float32)))).numpy()
        for span in doc.spans:
            if span.label not in techniques:
                continue
            inside = (tokens.starts < span.end) & (tokens.ends > span.start)
            p = probs[inside] if inside.any() else np.zeros((1, probs.shape[1]), np.float32)
            x.append(span_features(tokens, span.start, span.end))
            pooled.append(np.concatenate([p.mean(axis=0), p.max(axis=0)]))
            texts.append(tokens.text[span.start:span.end])
            y.append(techniques.index(span.label))
    return np.asarray(x, np.float32), np.asarray(pooled, np.float32), texts, np.asarray(y)


def main() -> None:
    from scipy import sparse
    from scipy.special import log_softmax
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from framing.corpora import read_ptc
    from framing.inference import Classifier
    from framing.paths import resolve_data_dir
    from framing.span_metrics import tc_score

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="models/transformer")
    ap.add_argument("--cache", default="/tmp/tc-cache")
    args = ap.parse_args()
    train_docs, dev_docs = read_ptc(resolve_data_dir(None), "train"), read_ptc(resolve_data_dir(None), "dev")
    clf = Classifier.load(args.model, device="cpu", precision="auto")
    techniques = [o for o in clf.backend.span_head.outputs if o != "any-technique"]
    cache = Path(args.cache)
    if (cache / "rows.npz").is_file():
        z = np.load(cache / "rows.npz", allow_pickle=False)
        x, hp, y, xd, hpd = z["x"], z["hp"], z["y"], z["xd"], z["hpd"]
        texts, texts_dev = list(z["texts"]), list(z["texts_dev"])
    else:
        x, hp, texts, y = span_rows(clf, train_docs, techniques)
        xd, hpd, texts_dev, _ = span_rows(clf, dev_docs, techniques)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(cache / "rows.npz", x=x, hp=hp, y=y, xd=xd, hpd=hpd, texts=np.array(texts), texts_dev=np.array(texts_dev))
    keys = [(d.doc_id, s.start, s.end) for d in dev_docs for s in d.spans if s.label in techniques]
    gold = [(d.doc_id, s.label, s.start, s.end) for d in dev_docs for s in d.spans if s.label in techniques]

    def micro(scores):
        order, seen, out = np.argsort(-scores, axis=1, kind="stable"), Counter(), []
        for key, row in zip(keys, order):
            out.append(techniques[row[min(seen[key], len(row) - 1)]])
            seen[key] += 1
        return tc_score(gold, out)["micro_f1"]

    def fit(model, train, dev):
        mean, scale = train.mean(axis=0), train.std(axis=0) + 1e-6
        model.fit((train - mean) / scale, y)
        out = np.full((len(dev), len(techniques)), -1e4)
        out[:, model.classes_] = model.predict_log_proba((dev - mean) / scale)
        return out

    def show(name, scores):
        print(f"{name}: dev TC micro-F1 {micro(scores):.4f}", flush=True)

    lr = lambda c: LogisticRegression(C=c, max_iter=3000)  # noqa: E731
    base = fit(lr(0.05), x, xd)
    show("shipped features, LR C=0.05 (the shipped choice)", base)
    for c in (0.02, 0.2):
        show(f"shipped features, LR C={c}", fit(lr(c), x, xd))
    h, s = clf.backend.span_head.module[0].in_features, len(techniques)  # hidden width, techniques
    blocks = {"mean": np.arange(0, h), "max": np.arange(h, 2 * h), "sent": np.arange(2 * h, 2 * h + s),
              "extra": np.arange(2 * h + s, x.shape[1])}
    for keep in (("mean", "max", "extra"), ("mean", "sent", "extra"), ("mean", "extra")):
        cols = np.concatenate([blocks[b] for b in keep])
        show(f"only {'+'.join(keep)}, LR C=0.05", fit(lr(0.05), x[:, cols], xd[:, cols]))
    for c in (0.02, 0.05, 0.2):
        show(f"+ pooled span-head token scores, LR C={c}", fit(lr(c), np.hstack([x, hp]), np.hstack([xd, hpd])))
    hasher = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**16, alternate_sign=False)
    t, td = hasher.transform(texts), hasher.transform(texts_dev)
    for c in (1.0, 10.0):
        words = LogisticRegression(C=c, max_iter=3000).fit(t, y)
        lp = np.full((len(keys), len(techniques)), -1e4)
        lp[:, words.classes_] = log_softmax(words.decision_function(td), axis=1)
        show(f"span text alone (hashed char 2-5-grams), LR C={c}", lp)
        for beta in (0.25, 0.5, 1.0):
            show(f"  shipped + {beta} x span text (C={c}), late fusion", log_softmax(base, axis=1) + beta * lp)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    for w in (0.5, 2.0, 10.0):
        joint = lr(0.05).fit(sparse.hstack([sparse.csr_matrix((x - mean) / scale), w * t]).tocsr(), y)
        out = np.full((len(keys), len(techniques)), -1e4)
        out[:, joint.classes_] = joint.decision_function(sparse.hstack([sparse.csr_matrix((xd - mean) / scale), w * td]))
        show(f"shipped features + span text x {w}, one LR C=0.05", out)
    for alpha in (1.0, 10.0):
        mlp = MLPClassifier(hidden_layer_sizes=(256,), alpha=alpha, max_iter=200, early_stopping=True, random_state=0)
        show(f"shipped features, MLP 256 alpha={alpha}", fit(mlp, x, xd))


if __name__ == "__main__":
    main()
