"""Training a span head on a saved transformer's frozen encoder (`framing spans train`).

The encoder and the sentence classifier stay exactly as shipped, so every sentence-level
figure is unchanged; only the head that reads each token's last hidden state is learnt. Its
targets are PTC train's character spans, projected onto the tokens of the sentences that
`segment` cuts (the same sentences the model scores at inference). Features are computed in the
precision the model runs in, once, then the head is fitted on them in minibatches.
"""

from __future__ import annotations

import numpy as np

from .corpora import Document
from .segment import segment
from .taxonomy import ANY_TECHNIQUE, load_taxonomy
from .token_spans import token_targets


def span_outputs(labels: list[str]) -> list[str]:
    """What a span head predicts: every technique of the model, then "any-technique"."""
    tax = load_taxonomy()
    return [labels[j] for j in tax.columns(labels, "technique")] + [ANY_TECHNIQUE]


def article_units(doc: Document) -> list[tuple[int, int, str]]:
    """(start, end, text) of the sentences the model scores in `doc`."""
    return [(s.start, s.end, s.text) for s in segment(doc.text) if s.skipped is None]


def sentence_targets(doc: Document, units, outputs: list[str]) -> list[list[tuple[int, int, int]]]:
    """Each sentence's spans, clipped to it, in its own characters, as (start, end, column)."""
    column = {label: j for j, label in enumerate(outputs)}
    return [[(max(sp.start, a) - a, min(sp.end, b) - a, column[sp.label]) for sp in doc.spans
             if sp.start < b and sp.end > a and sp.label in column] for a, b, _ in units]


def token_dataset(backend, docs: list[Document], outputs: list[str], log=print):
    """Features (tokens x hidden, float16), targets (tokens x outputs) and, per sentence, its
    article index, its character start and its tokens' offsets (to decode predictions)."""
    any_col = outputs.index(ANY_TECHNIQUE)
    columns = np.ones(len(outputs), dtype=bool)
    feats, targets, index = [], [], []
    for n, doc in enumerate(docs):
        units = article_units(doc)
        if not units:
            continue
        spans = sentence_targets(doc, units, outputs)
        for (start, _, _), tokens, sent_spans in zip(units, backend.token_features([u[2] for u in units]), spans):
            y, _ = token_targets([tuple(o) for o in tokens.offsets], sent_spans, columns, any_col)
            feats.append(tokens.probs)
            targets.append(y.astype(np.uint8))
            index.append((n, start, tokens.offsets))
        if log and (n + 1) % 50 == 0:
            log(f"features: {n + 1}/{len(docs)} articles")
    return np.concatenate(feats), np.concatenate(targets), index


def pos_weights(y: np.ndarray, cap: float = 10.0) -> np.ndarray:
    pos = y.sum(axis=0).astype(np.float64)
    return np.clip((len(y) - pos) / np.maximum(pos, 1), 1.0, cap).astype(np.float32)


def fit_head(x: np.ndarray, y: np.ndarray, layers: list[int], epochs: int = 4, lr: float = 1e-3, batch: int = 2048,
             seed: int = 0, cap: float = 10.0, log=print):
    """A head with `layers` trained with masked-free BCE (every token of a PTC sentence is
    annotated) and positive weights capped at `cap`; returns the module in eval mode."""
    import torch

    from .span_head import build_head

    torch.manual_seed(seed)
    head = build_head(layers)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    pw = torch.from_numpy(pos_weights(y, cap))
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for k in range(0, len(order), batch):
            rows = order[k: k + batch]
            xb = torch.from_numpy(x[rows].astype(np.float32))
            yb = torch.from_numpy(y[rows].astype(np.float32))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(head(xb), yb, pos_weight=pw)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(rows)
        if log:
            log(f"span head epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}")
    return head.eval()


def head_probs(head, x: np.ndarray, batch: int = 65536) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for k in range(0, len(x), batch):
            out.append(torch.sigmoid(head(torch.from_numpy(x[k: k + batch].astype(np.float32)))).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)
