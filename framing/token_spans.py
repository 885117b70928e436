"""Token-level span targets for the auxiliary span loss of the fine-tune.

A sentence label says "somewhere in here is loaded language"; PTC's character spans say where.
During training an extra linear layer reads every token's hidden state and predicts which
techniques cover that token (and whether any does), so the encoder has to find the words that
carry the technique, not just the sentence's topic. That layer is training-only: the saved
model is the plain sequence classifier. (The joint sentence + token objective follows the
multi-granularity network of the PTC paper, Da San Martino et al., EMNLP 2019.)

A row's spans are (start, end, column) in the row's own characters; `None` means the row's
source has no span annotation (memes, frame sentences), so none of its tokens carries a loss.
"""

from __future__ import annotations

import numpy as np

from .taxonomy import load_taxonomy

Spans = list[tuple[int, int, int]]


def span_columns(outputs: list[str]) -> np.ndarray:
    """Output columns that token targets cover: the techniques and the any-technique output."""
    tax = load_taxonomy()
    return np.array([tax.is_family(label, "technique") for label in outputs], dtype=bool)


def sentence_spans(rows, docs, outputs: list[str]) -> list[Spans | None]:
    """For each row (a dict of columns: source, doc_id, start, end), the technique spans of its
    document that overlap it, clipped to it, in the row's own characters; None for rows whose
    document is not in `docs` (the PTC train articles with their spans)."""
    by_id = {doc.doc_id: doc for doc in docs}
    column = {label: j for j, label in enumerate(outputs)}
    out: list[Spans | None] = []
    for source, doc_id, start, end in zip(rows["source"], rows["doc_id"], rows["start"], rows["end"]):
        doc = by_id.get(doc_id) if source == "ptc" else None
        if doc is None:
            out.append(None)
            continue
        out.append([(max(sp.start, start) - start, min(sp.end, end) - start, column[sp.label])
                    for sp in doc.spans if sp.start < end and sp.end > start and sp.label in column])
    return out


def whole_text_spans(texts: list[str], y: np.ndarray) -> list[Spans]:
    """A span fragment is its technique from the first character to the last."""
    return [[(0, len(text), int(j)) for j in np.flatnonzero(row)] for text, row in zip(texts, y)]


def token_targets(offsets: list[tuple[int, int]], spans: Spans | None, columns: np.ndarray,
                  any_column: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Targets and mask, shape (tokens, outputs), for one tokenised row. `offsets` are the
    tokenizer's character offsets; special tokens ((0, 0)) and rows without spans carry no loss."""
    n = len(offsets)
    target = np.zeros((n, len(columns)), dtype=np.float32)
    mask = np.zeros((n, len(columns)), dtype=np.float32)
    if spans is None:
        return target, mask
    real = np.array([end > start for start, end in offsets], dtype=bool)
    mask[real] = columns
    starts = np.array([s for s, _ in offsets])
    ends = np.array([e for _, e in offsets])
    for start, end, j in spans:
        inside = real & (starts < end) & (ends > start)
        target[inside, j] = 1.0
        if any_column is not None:
            target[inside, any_column] = 1.0
    return target, mask
