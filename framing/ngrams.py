"""Counting n-grams of a fixed vocabulary, as scikit-learn's CountVectorizer counts them.

The saved baseline and the article-context stage score with vocabularies fitted by
scikit-learn at training time. Scoring needs only the analysers ("word" with a token pattern,
"char_wb") and the counts, and importing scikit-learn costs about a second of every start
(`framing score`, `framing serve`), so scoring does it here. The analysers follow
sklearn.feature_extraction.text line for line (no stop words, no accent stripping, the only
settings this project uses); tests/test_ngrams.py checks the counts against CountVectorizer
on arbitrary text.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import scipy.sparse as sp

_WHITE_SPACES = re.compile(r"\s\s+")


def word_ngrams(tokens: list[str], ngram_range: tuple[int, int]) -> list[str]:
    min_n, max_n = ngram_range
    if max_n == 1:
        return tokens
    out = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n + 1, len(tokens) + 1)):
        out.extend(" ".join(tokens[i: i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams inside word bounds, each word padded with one space on either side."""
    min_n, max_n = ngram_range
    out: list[str] = []
    for w in _WHITE_SPACES.sub(" ", text).split():
        w = " " + w + " "
        for n in range(min_n, max_n + 1):
            offset = 0
            out.append(w[offset: offset + n])
            while offset + n < len(w):
                offset += 1
                out.append(w[offset: offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return out


class NgramCounter:
    """`transform(texts)`: a CSR matrix of n-gram counts over `vocabulary` (n-gram -> column)."""

    def __init__(self, vocabulary: dict[str, int], analyzer: str = "word", ngram_range: tuple[int, int] = (1, 1),
                 lowercase: bool = True, token_pattern: str = r"(?u)\b\w\w+\b"):
        if analyzer not in ("word", "char_wb"):
            raise ValueError(f"analyzer {analyzer!r}: only 'word' and 'char_wb' are counted here")
        self.vocabulary = dict(vocabulary)
        self.analyzer, self.ngram_range, self.lowercase = analyzer, tuple(ngram_range), lowercase
        self._tokens = re.compile(token_pattern).findall

    def analyze(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, self.ngram_range)
        return word_ngrams(self._tokens(text), self.ngram_range)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        indptr, indices, values = [0], [], []
        vocab = self.vocabulary
        for text in texts:
            counts = Counter(vocab[g] for g in self.analyze(text) if g in vocab)
            columns = sorted(counts)
            indices.extend(columns)
            values.extend(counts[c] for c in columns)
            indptr.append(len(indices))
        return sp.csr_matrix((np.asarray(values, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                              np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(vocab)))


def l2_normalize(x: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit l2 norm (an all-zero row stays zero), as sklearn's `normalize`."""
    x = sp.csr_matrix(x, copy=True)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x.data = x.data / np.repeat(norms, np.diff(x.indptr)).astype(x.dtype)
    return x
