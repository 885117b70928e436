"""Paragraphs (lines) then sentences, with exact character offsets into the raw text.

Guarantee, property-tested: for every sentence, `text[s.start:s.end] == s.text`, and sentences
are non-empty, stripped, in order and non-overlapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nupunkt

from .boilerplate import BoilerplateTracker

# Every character Python treats as a line break starts a new paragraph: headlines and bullet
# lines lack final punctuation, and every splitter merges them unless split here first.
_LINE = re.compile(r"[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
# Longest text handed to the splitter at once; longer lines are cut into windows first so one
# pathological line can't stall a batch job. Public for limits.py; defined here because this file
# is part of the dataset cache fingerprint, so changing it rebuilds the cached rows.
MAX_LINE_CHARS = 20_000


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    paragraph: int
    skipped: str | None = None  # reason when the sentence is boilerplate; never scored


def _strip_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_bounds(line: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    for offset in range(0, len(line), MAX_LINE_CHARS):
        window = line[offset : offset + MAX_LINE_CHARS]
        try:
            spans = nupunkt.sent_spans(window)
        except Exception:  # the splitter must never lose a line: fall back to the whole window
            spans = [(0, len(window))]
        pos = 0
        for start, end in spans:
            start, end = max(start, pos), min(end, len(window))
            if start >= end:
                continue
            bounds.append((offset + start, offset + end))
            pos = end
        if pos < len(window):  # anything the splitter dropped stays in the output
            bounds.append((offset + pos, offset + len(window)))
    return bounds


def segment(text: str) -> list[Sentence]:
    """Split raw text into sentences with exact offsets and boilerplate marks."""
    sentences: list[Sentence] = []
    tracker = BoilerplateTracker()
    paragraph = 0
    for match in _LINE.finditer(text):
        line_start, line_end = _strip_bounds(text, match.start(), match.end())
        if line_start == line_end:
            continue
        line = text[line_start:line_end]
        reason = tracker.reason(line)
        for start, end in _sentence_bounds(line):
            start, end = _strip_bounds(text, line_start + start, line_start + end)
            if start < end:
                sentences.append(Sentence(len(sentences), start, end, text[start:end], paragraph, reason))
        paragraph += 1
    return sentences


def segment_region(text: str, start: int, end: int) -> list[Sentence]:
    """Sentences of text[start:end] with offsets into the full text (no boilerplate marks:
    labeled regions of a corpus are content by definition)."""
    out = []
    for sent in segment(text[start:end]):
        out.append(Sentence(sent.index, start + sent.start, start + sent.end, sent.text, sent.paragraph))
    return out
