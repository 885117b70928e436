"""TF-IDF (word and character n-grams) feeding one logistic regression per label.

Saved without pickle: vocabularies as JSON, idf vectors and weights as safetensors. At load the
TF-IDF transform is recomputed from those arrays (counts -> sublinear tf -> idf -> l2), which is
exactly what scikit-learn's TfidfVectorizer does with these settings; the counting is
`framing.ngrams`, so that scoring never imports scikit-learn (only training does).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ..errors import ModelLoadError
from ..ngrams import NgramCounter, l2_normalize
from .backend import Prediction

WEIGHTS = "baseline.safetensors"
VOCAB = "vocabulary.json"


@dataclass
class BaselineSettings:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    max_word_features: int = 30_000
    max_char_features: int = 50_000
    min_df: int = 2
    C: float = 1.0  # chosen on PTC dev among 1, 4, 10
    class_weight: str | None = "balanced"
    max_iter: int = 2000

    def __post_init__(self):
        for name in ("max_word_features", "max_char_features", "min_df", "max_iter"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"BaselineSettings.{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.C > 0:
            raise ValueError(f"BaselineSettings.C must be > 0, got {self.C!r}")
        self.word_ngrams, self.char_ngrams = tuple(self.word_ngrams), tuple(self.char_ngrams)


def _word_vectorizer(s: BaselineSettings, **kw):
    return dict(analyzer="word", ngram_range=s.word_ngrams, lowercase=True, token_pattern=r"(?u)\b\w+\b", **kw)


def _char_vectorizer(s: BaselineSettings, **kw):
    return dict(analyzer="char_wb", ngram_range=s.char_ngrams, lowercase=True, **kw)


class BaselineModel:
    def __init__(self, labels: list[str], settings: BaselineSettings | None = None):
        self.labels = list(labels)
        self.settings = settings or BaselineSettings()
        self.coef_: np.ndarray | None = None  # set by fit() or load()
        self.intercept_: np.ndarray | None = None

    # -- features -----------------------------------------------------------------------------
    def _transform(self, texts: list[str]) -> sp.csr_matrix:
        parts = []
        for counter, idf in ((self.word_counter_, self.word_idf_), (self.char_counter_, self.char_idf_)):
            x = counter.transform(texts).astype(np.float32)
            x.data = 1.0 + np.log(x.data)  # sublinear tf
            x = x @ sp.diags(idf)
            parts.append(l2_normalize(x))
        return sp.hstack(parts, format="csr")

    def fit(self, texts: list[str], y: np.ndarray, mask: np.ndarray) -> BaselineModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        s = self.settings
        word = TfidfVectorizer(**_word_vectorizer(s, min_df=s.min_df, max_features=s.max_word_features,
                                                  sublinear_tf=True, dtype=np.float32))
        char = TfidfVectorizer(**_char_vectorizer(s, min_df=s.min_df, max_features=s.max_char_features,
                                                  sublinear_tf=True, dtype=np.float32))
        word.fit(texts)
        char.fit(texts)
        self._set_vocab(word.vocabulary_, word.idf_, char.vocabulary_, char.idf_)
        x = self._transform(texts)
        coef = np.zeros((len(self.labels), x.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(self.labels), dtype=np.float32)
        for j in range(len(self.labels)):
            rows = np.asarray(mask[:, j], dtype=bool)
            target = np.asarray(y[rows, j], dtype=int)
            if target.min() == target.max():  # a label with no positives can't be learnt
                intercept[j] = -10.0
                continue
            clf = LogisticRegression(C=s.C, class_weight=s.class_weight, max_iter=s.max_iter, solver="liblinear")
            clf.fit(x[rows], target)
            coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
        self.coef_, self.intercept_ = coef, intercept
        return self

    def _set_vocab(self, word_vocab, word_idf, char_vocab, char_idf):
        s = self.settings
        self.word_counter_ = NgramCounter(**_word_vectorizer(s, vocabulary={k: int(v) for k, v in word_vocab.items()}))
        self.char_counter_ = NgramCounter(**_char_vectorizer(s, vocabulary={k: int(v) for k, v in char_vocab.items()}))
        self.word_idf_ = np.asarray(word_idf, dtype=np.float32)
        self.char_idf_ = np.asarray(char_idf, dtype=np.float32)

    # -- the Backend interface (models/backend.py) ------------------------------------------------
    precision = "fp32"
    span_head = None  # a bag of words has no tokens to mark

    @property
    def outputs(self) -> list[str]:
        return list(self.labels)

    def predict_outputs(self, texts: list[str], token_features: bool = False) -> Prediction:
        return Prediction(self.predict_proba(texts), truncated=0)  # TF-IDF reads every token; no tokens

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if self.coef_ is None:
            raise RuntimeError("BaselineModel is not fitted yet; call fit() or load()")
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        logits = self._transform(list(texts)) @ self.coef_.T + self.intercept_
        return (1.0 / (1.0 + np.exp(-np.asarray(logits)))).astype(np.float32)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        vocab = {"word": self.word_counter_.vocabulary, "char": self.char_counter_.vocabulary,
                 "settings": asdict(self.settings)}
        (model_dir / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        # fp16 weights keep the shipped model at a few MB; the probability change is < 1e-3.
        save_file({"coef": self.coef_.astype(np.float16), "intercept": self.intercept_,
                   "word_idf": self.word_idf_, "char_idf": self.char_idf_}, str(model_dir / WEIGHTS))

    @classmethod
    def load(cls, model_dir: Path, labels: list[str]) -> BaselineModel:
        model_dir = Path(model_dir)
        missing = [name for name in (VOCAB, WEIGHTS) if not (model_dir / name).is_file()]
        if missing:
            raise ModelLoadError(f"Baseline model {model_dir} is incomplete: {', '.join(missing)} missing; copy the "
                                 "whole model folder again, or retrain it with `framing train`.")
        from ..model_files import check_safetensors

        check_safetensors(model_dir / WEIGHTS)
        try:
            vocab = json.loads((model_dir / VOCAB).read_text(encoding="utf-8"))
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"{model_dir / VOCAB} is damaged ({str(exc)[:120]}); copy the model folder again.") from None
        try:
            arrays = load_file(str(model_dir / WEIGHTS))
        except (ValueError, OSError, SafetensorError) as exc:
            raise ModelLoadError(f"{model_dir / WEIGHTS} is damaged ({str(exc)[:120]}); copy the model folder again.") from None
        try:
            if not isinstance(vocab, dict) or not isinstance(vocab.get("word"), dict) or not isinstance(vocab.get("char"), dict):
                raise TypeError("word and char vocabularies must be JSON objects")
            model = cls(labels, BaselineSettings(**vocab.get("settings", {})))
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{model_dir / VOCAB} is damaged ({exc}); copy the model folder again.") from None
        try:
            model._set_vocab(vocab["word"], arrays["word_idf"], vocab["char"], arrays["char_idf"])
            coef, intercept = arrays["coef"].astype(np.float32), arrays["intercept"].astype(np.float32)
        except KeyError as exc:
            raise ModelLoadError(f"Baseline model {model_dir} lacks {exc.args[0]!r}; it is damaged.") from None
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{model_dir / VOCAB} is damaged ({str(exc)[:120]}); copy the model folder again.") from None
        n_features = len(vocab["word"]) + len(vocab["char"])
        expected = (len(labels), n_features)
        if coef.shape != expected or intercept.shape != (len(labels),):
            raise ModelLoadError(f"Baseline weights have shape {coef.shape}, expected {expected} "
                                 f"({len(labels)} labels x {n_features} features); the model is damaged.")
        if len(model.word_idf_) != len(vocab["word"]) or len(model.char_idf_) != len(vocab["char"]):
            raise ModelLoadError(f"Baseline idf vectors don't match the vocabularies in {model_dir}; the model is damaged.")
        model.coef_, model.intercept_ = coef, intercept
        return model
