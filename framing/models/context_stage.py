"""The article-context stage: re-scores a few labels of each sentence from its article.

Two parts per label, both small and saved without pickle (context/context.json +
context/context.safetensors):
  - a context model, trained on PTC train gold: logistic regression over the sentence's words that
    recur elsewhere in its article (as tokens, and with their in-article counts) and the
    `framing.context.TEXT_FEATURES`;
  - a combiner, fitted on dev: p = sigmoid(a * logit(p_sentence_model) + b * logit(p_context) + c),
    three numbers per label, so that dev can set them without overfitting.
It runs per document, after the sentence model, on nothing but that document's sentences.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ..context import TEXT_FEATURES, logit, text_features, words_of
from ..errors import ModelLoadError
from ..ngrams import NgramCounter, l2_normalize

FOLDER, SPEC, WEIGHTS = "context", "context.json", "context.safetensors"
MAX_COUNT_BUCKET = 6


def repeated_words(sentences: list[str]) -> list[str]:
    """Per sentence, a pseudo-text of its words found in another sentence of the article, plus
    `word_N` tokens (N = in how many sentences, capped) for the longer ones."""
    words = [words_of(s) for s in sentences]
    df = Counter(w for ws in words for w in set(ws))
    return [" ".join([w for w in ws if df[w] > 1] +
                     [f"{w}_{min(df[w], MAX_COUNT_BUCKET)}" for w in sorted(set(ws)) if df[w] > 2 and len(w) > 2])
            for ws in words]


def _vectorizer(**kw):
    return dict(ngram_range=(1, 2), token_pattern=r"\S+", lowercase=False, **kw)


class ContextStage:
    def __init__(self, labels: list[str]):
        self.labels = list(labels)

    # -- features -----------------------------------------------------------------------------
    def _features(self, sentences: list[str]) -> sp.csr_matrix:
        x = self.counter_.transform(repeated_words(sentences)).astype(np.float32)
        x.data = 1.0 + np.log(x.data)
        x = l2_normalize(x @ sp.diags(self.idf_))
        # clipped: an article far outside the training range must not dominate the score
        dense = np.clip((text_features(sentences) - self.mean_) / self.scale_, -8.0, 8.0)
        return sp.hstack([x, sp.csr_matrix(dense)], format="csr")

    def fit(self, documents: list[list[str]], targets: list[np.ndarray], C: float = 0.3) -> ContextStage:
        """`documents`: each article's sentences in order; `targets`: per article a (sentences,
        labels) 0/1 array in `self.labels` order."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        pseudo = [t for doc in documents for t in repeated_words(doc)]
        vec = TfidfVectorizer(**_vectorizer(min_df=2, sublinear_tf=True, dtype=np.float32)).fit(pseudo)
        self.counter_ = NgramCounter(**_vectorizer(vocabulary=vec.vocabulary_))
        self.idf_ = vec.idf_.astype(np.float32)
        dense = np.vstack([text_features(doc) for doc in documents])
        # a feature constant in training (e.g. every article the same length) must not blow up on
        # new text: its scale stays 1
        std = dense.std(axis=0)
        self.mean_, self.scale_ = dense.mean(axis=0), np.where(std > 1e-3, std, 1.0).astype(np.float32)
        x = sp.vstack([self._features(doc) for doc in documents], format="csr")
        y = np.vstack(targets)
        self.coef_ = np.zeros((len(self.labels), x.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(len(self.labels), dtype=np.float32)
        for j in range(len(self.labels)):
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(x, y[:, j])
            self.coef_[j], self.intercept_[j] = lr.coef_[0], lr.intercept_[0]
        self.combiner_ = np.tile(np.array([1.0, 0.0, 0.0], dtype=np.float32), (len(self.labels), 1))
        return self

    def context_proba(self, sentences: list[str]) -> np.ndarray:
        """(sentences, labels) probability from the article context alone."""
        if not sentences:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        z = np.clip(np.asarray(self._features(sentences) @ self.coef_.T + self.intercept_), -30, 30)
        return (1 / (1 + np.exp(-z))).astype(np.float32)

    def combine(self, sentence_probs: np.ndarray, context_probs: np.ndarray) -> np.ndarray:
        """Combined probability per label from the sentence model's and the context model's."""
        a, b, c = self.combiner_[:, 0], self.combiner_[:, 1], self.combiner_[:, 2]
        z = np.clip(a * logit(sentence_probs) + b * logit(context_probs) + c, -30, 30)
        return (1 / (1 + np.exp(-z))).astype(np.float32)

    def apply(self, sentences: list[str], outputs: np.ndarray, columns: list[int]) -> np.ndarray:
        """`outputs` of one article's sentences with the stage's labels (at `columns`) re-scored."""
        out = np.array(outputs, dtype=np.float32, copy=True)
        if len(sentences):
            out[:, columns] = self.combine(out[:, columns], self.context_proba(sentences))
        return out

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        spec = {"labels": self.labels, "text_features": list(TEXT_FEATURES),
                "vocabulary": {k: int(v) for k, v in self.counter_.vocabulary.items()},
                "combiner": {label: [round(float(v), 6) for v in row] for label, row in zip(self.labels, self.combiner_)}}
        (folder / SPEC).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        save_file({"coef": self.coef_, "intercept": self.intercept_, "idf": self.idf_,
                   "mean": self.mean_.astype(np.float32), "scale": self.scale_.astype(np.float32)}, str(folder / WEIGHTS))

    @classmethod
    def load(cls, folder: Path) -> ContextStage:
        folder = Path(folder)
        missing = [name for name in (SPEC, WEIGHTS) if not (folder / name).is_file()]
        if missing:
            raise ModelLoadError(f"Context stage {folder} is incomplete: {', '.join(missing)} missing; copy the whole "
                                 "model folder again.")
        try:
            spec = json.loads((folder / SPEC).read_text(encoding="utf-8"))
            arrays = load_file(str(folder / WEIGHTS))
            stage = cls(list(spec["labels"]))
            if spec["text_features"] != list(TEXT_FEATURES):
                raise ValueError(f"it was built with text features {spec['text_features']}, this framing computes "
                                 f"{list(TEXT_FEATURES)}")
            stage.counter_ = NgramCounter(**_vectorizer(vocabulary=spec["vocabulary"]))
            stage.idf_, stage.mean_, stage.scale_ = arrays["idf"], arrays["mean"], arrays["scale"]
            stage.coef_, stage.intercept_ = arrays["coef"], arrays["intercept"]
            stage.combiner_ = np.array([spec["combiner"][label] for label in stage.labels], dtype=np.float32)
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
            raise ModelLoadError(f"Context stage {folder} is damaged ({str(exc)[:160]}); copy the model folder again.") from None
        n_features = len(spec["vocabulary"]) + len(TEXT_FEATURES)
        if (stage.coef_.shape != (len(stage.labels), n_features) or stage.idf_.shape != (len(spec["vocabulary"]),)
                or stage.combiner_.shape != (len(stage.labels), 3)):
            raise ModelLoadError(f"Context stage {folder} has weights of the wrong shape; the model is damaged.")
        return stage
