"""Projecting character spans onto sentences: the one rule the sentence dataset uses.

Rule: a span labels a sentence when their overlap covers at least half of the shorter of the
two. So a span inside a sentence always labels it; a span crossing several sentences labels
each sentence it substantially covers, but not a neighbour it only grazes with a few
characters (PTC's untrimmed dev-gold spans often run one or two characters over a boundary).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MIN_SHARE = 0.5


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def labels_sentence(sent_start: int, sent_end: int, span_start: int, span_end: int) -> bool:
    shared = overlap(sent_start, sent_end, span_start, span_end)
    shorter = min(sent_end - sent_start, span_end - span_start)
    return shared > 0 and shared >= MIN_SHARE * shorter


def project(sentences: Sequence[tuple[int, int]], spans: Iterable[tuple[int, int, str]]) -> list[set[str]]:
    """For each (start, end) sentence, the set of span labels that label it under the rule."""
    out: list[set[str]] = [set() for _ in sentences]
    for span_start, span_end, label in spans:
        for i, (start, end) in enumerate(sentences):
            if start >= span_end:
                break
            if end > span_start and labels_sentence(start, end, span_start, span_end):
                out[i].add(label)
    return out
