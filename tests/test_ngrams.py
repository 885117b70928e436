"""Scoring counts n-grams without scikit-learn, and counts exactly what CountVectorizer counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.preprocessing import normalize

from framing.ngrams import NgramCounter, l2_normalize
from framing.stop_words import ENGLISH_STOP_WORDS as OURS

CORPUS = ["The corrupt elites in Washington lied to us again!", "Russia and China signed a deal.",
          "So-called experts  say\tnothing; nothing at all.", "Über-naïve ÉLITES lügen 🇷🇺 2024", "a b c a b"]
# the settings the baseline (word, char_wb) and the context stage (\S+ bigrams, case kept) use
SETTINGS = [dict(analyzer="word", ngram_range=(1, 2), lowercase=True, token_pattern=r"(?u)\b\w+\b"),
            dict(analyzer="char_wb", ngram_range=(2, 5), lowercase=True),
            dict(analyzer="word", ngram_range=(1, 2), lowercase=False, token_pattern=r"\S+")]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
def test_counts_equal_count_vectorizer_on_any_text(texts):
    for options in SETTINGS:
        # a vocabulary that holds some of the texts' n-grams and some that are not there
        vocab = CountVectorizer(**options).fit(CORPUS + texts[:1]).vocabulary_
        theirs = CountVectorizer(vocabulary=vocab, **options).transform(texts)
        ours = NgramCounter(vocab, **options).transform(texts)
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours.toarray(), theirs.toarray())


def test_l2_normalize_equals_sklearn_and_keeps_empty_rows_empty():
    vocab = CountVectorizer().fit(CORPUS).vocabulary_
    x = NgramCounter(vocab).transform(CORPUS + ["", "zzz unknown"]).astype(np.float32)
    np.testing.assert_allclose(l2_normalize(x).toarray(), normalize(x).toarray(), rtol=1e-6)
    assert l2_normalize(x)[-1].nnz == 0


def test_stop_words_are_sklearns():
    assert OURS == ENGLISH_STOP_WORDS


def test_loading_and_scoring_does_not_import_sklearn(toy_baseline_dir):
    """Importing scikit-learn costs about a second of every `framing score` and `framing serve`
    start; the shipped model (blend, context stage, span head) and a baseline score without it."""
    shipped = Path(__file__).resolve().parents[1] / "models" / "transformer"
    for model in [toy_baseline_dir] + ([shipped] if shipped.is_dir() else []):
        code = ("import sys; from framing.inference import Classifier; "
                f"clf = Classifier.load({str(model)!r}, device='cpu'); "
                "clf.score_documents([('d', 'They lied again. They lied, and lied.')]); "
                "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')[:3])")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.strip() == "[]", f"{model}: {out}"
