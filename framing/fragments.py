"""Technique fragments as extra training rows: the annotated span text itself, labeled with
the techniques whose spans cover exactly that stretch.

A sentence row tells the model "somewhere in here is a slogan"; the fragment row shows it the
slogan. PTC train has about as many spans as labeled sentences, so this roughly doubles the
positives of every rare technique without any new annotation. Fragments are all positives,
so they say nothing about the is-it-propaganda decision: their any-technique cell is masked.
"""

from __future__ import annotations

import re

import numpy as np

from .corpora import Document
from .taxonomy import load_taxonomy

_SPACE = re.compile(r"\s+")


def span_fragments(docs: list[Document], outputs: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, targets and masks (columns in `outputs` order) for the distinct span fragments of
    `docs`. Technique columns are annotated, every other column (frames, any-technique) is not."""
    tax = load_taxonomy()
    technique = np.zeros(len(outputs), dtype=bool)
    technique[tax.columns(outputs, "technique")] = True  # any-technique stays masked: fragments are all positives
    seen: set[tuple[str, frozenset]] = set()
    texts, rows = [], []
    for doc in docs:
        grouped: dict[tuple[int, int], set[str]] = {}
        for span in doc.spans:
            grouped.setdefault((span.start, span.end), set()).add(span.label)
        for (start, end), labels in grouped.items():
            text = _SPACE.sub(" ", doc.text[start:end]).strip()
            key = (text.lower(), frozenset(labels))
            if not text or key in seen:
                continue  # the same words with the same labels teach nothing twice
            seen.add(key)
            texts.append(text)
            rows.append([label in labels for label in outputs])
    y = np.array(rows, dtype=bool).reshape(len(rows), len(outputs))
    m = np.broadcast_to(technique, y.shape).copy()
    return texts, y, m
