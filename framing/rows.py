"""The dataset row: one labeled sentence or region with its per-label mask.

Its own module because both the corpus rows (dataset.py) and the frame annotation rows
(annotations.py) are built with it, and dataset.py imports annotations.py.
"""

from __future__ import annotations

from functools import lru_cache

from .taxonomy import FAMILIES, load_taxonomy


@lru_cache(maxsize=8)
def _mask(annotated: frozenset[str]) -> tuple[int, ...]:
    # One mask per set of annotated families: built once, not once per row.
    tax = load_taxonomy()
    return tuple(int(any(tax.is_family(label, family) for family in annotated)) for label in tax.ids)


def make_row(source: str, doc_id: str, unit: str, start: int, end: int, text: str, labels, annotated) -> dict:
    """A row with label and mask columns in taxonomy order. `annotated` names the families
    (of `FAMILIES`) that the row's source judged; the other families' cells are masked (0)."""
    unknown = set(annotated) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown label families {sorted(unknown)}; expected some of {FAMILIES}")
    return {
        "source": source,
        "doc_id": doc_id,
        "unit": unit,
        "start": start,
        "end": end,
        "text": text,
        "labels": [int(label in labels) for label in load_taxonomy().ids],
        "mask": list(_mask(frozenset(annotated))),
    }
