"""Article context for sentence scores: what a sentence shares with the rest of its article.

Some techniques are properties of the article, not of one sentence: repetition is a phrase
restated across the article, and doubt or whataboutism often answer the sentence before. The
sentence model sees one sentence, so these features are computed per document, from the
document's own sentences only (one article in memory at a time), and fed with the sentence
model's scores to a small per-label second stage (`framing.models.context_stage`).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from .stop_words import ENGLISH_STOP_WORDS

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Text features of a sentence against its article, in this order (the saved stage names them).
TEXT_FEATURES = (
    "word_repeat_max",      # log(1 + most other sentences sharing one content word of this one)
    "word_repeat_frac",     # share of its content words that occur in another sentence
    "bigram_repeat",        # log(1 + its word bigrams with a content word found in another sentence)
    "trigram_repeat",       # log(1 + its word trigrams found in another sentence)
    "bigram_earlier",       # log(1 + its content bigrams already used earlier in the article)
    "title_overlap",        # share of its content words in the article's first sentence (title)
    "position",             # index / number of sentences
    "article_sentences",    # log(1 + number of sentences)
    "length",               # log(1 + words)
)


def words_of(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _content(words: list[str]) -> list[str]:
    return [w for w in words if len(w) >= 3 and w not in ENGLISH_STOP_WORDS]


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def text_features(sentences: list[str]) -> np.ndarray:
    """One row of TEXT_FEATURES per sentence of one article (in article order)."""
    n = len(sentences)
    out = np.zeros((n, len(TEXT_FEATURES)), dtype=np.float32)
    if not n:
        return out
    words = [words_of(s) for s in sentences]
    content = [set(_content(w)) for w in words]
    bigrams = [{g for g in _ngrams(w, 2) if _content(list(g))} for w in words]
    trigrams = [_ngrams(w, 3) for w in words]
    # document frequencies within the article: in how many sentences each item occurs
    df_word = Counter(t for c in content for t in c)
    df_bi = Counter(g for b in bigrams for g in b)
    df_tri = Counter(g for t in trigrams for g in t)
    seen_bi: set[tuple[str, ...]] = set()
    title = content[0]
    for i in range(n):
        c = content[i]
        others = [df_word[t] - 1 for t in c]
        out[i, 0] = math.log1p(max(others, default=0))
        out[i, 1] = (sum(o > 0 for o in others) / len(c)) if c else 0.0
        out[i, 2] = math.log1p(sum(df_bi[g] > 1 for g in bigrams[i]))
        out[i, 3] = math.log1p(sum(df_tri[g] > 1 for g in trigrams[i]))
        out[i, 4] = math.log1p(len(bigrams[i] & seen_bi))
        seen_bi |= bigrams[i]
        out[i, 5] = (len(c & title) / len(c)) if (c and i) else 0.0
        out[i, 6] = i / n
        out[i, 7] = math.log1p(n)
        out[i, 8] = math.log1p(len(words[i]))
    return out


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float32), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def score_features(scores: np.ndarray) -> np.ndarray:
    """Per sentence and output: its own logit, the previous and next sentence's, and the
    article's maximum; shape (sentences, outputs, 4). Missing neighbours count as the floor."""
    z = logit(scores)
    floor = np.full((1, z.shape[1]), logit(np.float32(1e-4)), dtype=np.float32)
    prev = np.concatenate([floor, z[:-1]]) if len(z) else z
    nxt = np.concatenate([z[1:], floor]) if len(z) else z
    top = np.broadcast_to(z.max(axis=0, keepdims=True), z.shape) if len(z) else z
    return np.stack([z, prev, nxt, top], axis=2)
