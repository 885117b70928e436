"""Naming the technique of a given span (SemEval-2020 TC) from what the span model computes.

A span's features: the mean and the max of its tokens' last hidden states, the sentence scores
of the sentences it touches (max per technique), its length in characters and tokens, how
often its text recurs in the article (repetition is a property of the article), and where in
the article it starts. A multinomial logistic regression over the techniques, fitted on PTC
train spans, ranks the techniques; its weights live in the span head's safetensors file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DocumentTokens:
    """Every scored token of a document, in document coordinates."""

    text: str
    starts: np.ndarray  # (tokens,)
    ends: np.ndarray
    sentence: np.ndarray  # index into sentence_probs
    hidden: np.ndarray  # (tokens, hidden)
    sentence_probs: np.ndarray  # (sentences, techniques)


def span_features(doc: DocumentTokens, start: int, end: int) -> np.ndarray:
    inside = (doc.starts < end) & (doc.ends > start)
    width = doc.hidden.shape[1]
    if inside.any():
        h = doc.hidden[inside].astype(np.float32)
        mean, top = h.mean(axis=0), h.max(axis=0)
        sent = doc.sentence_probs[np.unique(doc.sentence[inside])].max(axis=0)
    else:  # a span in a skipped line or between sentences: text features only
        mean = top = np.zeros(width, np.float32)
        sent = np.zeros(doc.sentence_probs.shape[1], np.float32)
    phrase = doc.text[start:end].strip().lower()
    repeats = doc.text.lower().count(phrase) if phrase else 0
    extra = [np.log1p(end - start), np.log1p(int(inside.sum())), np.log1p(repeats), start / max(1, len(doc.text))]
    return np.concatenate([mean, top, sent, np.asarray(extra, np.float32)])


@dataclass
class SpanClassifier:
    labels: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray

    def rank(self, features: np.ndarray) -> np.ndarray:
        """Label indices per row, best first."""
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        return np.argsort(-logits, axis=1, kind="stable")

    def tensors(self) -> dict[str, np.ndarray]:
        return {"tc.mean": self.mean, "tc.scale": self.scale, "tc.coef": self.coef, "tc.intercept": self.intercept}

    @classmethod
    def from_tensors(cls, labels: list[str], tensors: dict) -> SpanClassifier:
        return cls(labels, *(np.asarray(tensors[f"tc.{k}"], np.float32) for k in ("mean", "scale", "coef", "intercept")))


def fit_span_classifier(x: np.ndarray, y: np.ndarray, labels: list[str], c: float) -> SpanClassifier:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    model = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y)
    coef = np.zeros((len(labels), x.shape[1]), np.float32)
    intercept = np.full(len(labels), -1e4, np.float32)  # a technique without train spans is never ranked first
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    return SpanClassifier(labels, mean.astype(np.float32), scale.astype(np.float32), coef, intercept)
