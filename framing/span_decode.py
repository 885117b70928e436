"""Token probabilities -> character spans, one technique each, inside one sentence.

Tokens at or over a technique's threshold form a span with their neighbours; runs separated by
at most `max_gap` tokens under the threshold are bridged (a span of loaded language is rarely
cut by one weak subword). A span is widened to whole words, so it never ends inside a word, and
never leaves its sentence: the offsets are the sentence's own characters, which the caller
shifts into the document. Spans of different techniques may overlap, as PTC's do.
"""

from __future__ import annotations

import numpy as np

DEFAULT_DECODING = {"max_gap": 1, "whole_words": True, "min_chars": 2}


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def runs(on: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """(first, last) token index of each run of True, bridging gaps of at most max_gap False."""
    out: list[tuple[int, int]] = []
    for i in np.flatnonzero(on):
        if out and i - out[-1][1] - 1 <= max_gap:
            out[-1] = (out[-1][0], int(i))
        else:
            out.append((int(i), int(i)))
    return out


def decode(text: str, offsets: np.ndarray, probs: np.ndarray, outputs: list[str], thresholds: np.ndarray,
           decoding: dict | None = None, skip: tuple[str, ...] = ()) -> list[tuple[int, int, str, float]]:
    """(start, end, label, score) spans of one sentence, sorted by start; `score` is the mean
    token probability over the span. Outputs named in `skip` are not decoded."""
    settings = {**DEFAULT_DECODING, **(decoding or {})}
    spans = []
    if len(offsets) == 0:
        return spans
    for j, label in enumerate(outputs):
        if label in skip:
            continue
        for first, last in runs(probs[:, j] >= thresholds[j], int(settings["max_gap"])):
            start, end = int(offsets[first][0]), int(offsets[last][1])
            if settings["whole_words"]:
                start, end = _widen(text, start, end)
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end - start >= int(settings["min_chars"]):
                spans.append((start, end, label, round(float(probs[first:last + 1, j].mean()), 4)))
    spans.sort(key=lambda s: (s[0], s[1], s[2]))
    return spans
