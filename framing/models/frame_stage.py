"""The article frame stage: re-scores each frame of a sentence from the frame's scores across its article.

On news from outlets unlike our sources, `discrediting-the-west` fires on sentences that report
Western actors; whether a sentence carries the frame shows in its article too (an article with
the narrative has several sentences scoring high, a report has one). Per frame, a logistic
regression over six numbers of the sentence and its article:

    p = sigmoid(w . [logit p_sentence, logit max_article p, logit mean_article p,
                     mean of the article's top-3 logits, log sentences, position] + b)

Seven numbers per frame, saved as JSON (`frame_stage.json`, hash in framing.json "frame_stage"),
validated on load. It runs per document after the article-context stage, on nothing but that
document's sentences (one article in memory), so `score`, `batch`, Ray and `evaluate` agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..context import logit
from ..errors import ModelLoadError

FILE = "frame_stage.json"
FEATURES = ("sentence", "article_max", "article_mean", "article_top3", "article_sentences", "position")


def article_features(probs: np.ndarray) -> np.ndarray:
    """(sentences, FEATURES) for one frame's probabilities over one article's sentences, in order."""
    p = np.asarray(probs, dtype=np.float64)
    n = len(p)
    if not n:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    z = logit(p)
    top3 = np.sort(z)[-3:].mean()
    out = np.empty((n, len(FEATURES)), dtype=np.float64)
    out[:, 0] = z
    out[:, 1], out[:, 2], out[:, 3] = z.max(), logit(np.array([p.mean()]))[0], top3
    out[:, 4] = np.log(n)
    out[:, 5] = np.arange(n) / n
    return out.astype(np.float32)


class FrameStage:
    def __init__(self, labels: list[str], weights: np.ndarray, intercept: np.ndarray):
        self.labels = list(labels)
        self.weights = np.asarray(weights, dtype=np.float64).reshape(len(self.labels), len(FEATURES))
        self.intercept = np.asarray(intercept, dtype=np.float64).reshape(len(self.labels))

    def proba(self, j: int, features: np.ndarray) -> np.ndarray:
        z = np.clip(features @ self.weights[j] + self.intercept[j], -30, 30)
        return (1 / (1 + np.exp(-z))).astype(np.float32)

    def apply(self, outputs: np.ndarray, columns: list[int]) -> np.ndarray:
        """One article's sentence outputs with the stage's frames (at `columns`) re-scored."""
        out = np.array(outputs, dtype=np.float32, copy=True)
        if len(out):
            for j, col in enumerate(columns):
                out[:, col] = self.proba(j, article_features(outputs[:, col]))
        return out

    def save(self, path: Path, extra: dict | None = None) -> dict:
        """Writes the stage; returns its framing.json entry (file, hash, labels and `extra`)."""
        from ..span_head import file_sha256

        spec = {"features": list(FEATURES), "labels": self.labels,
                "weights": {label: [round(float(v), 8) for v in self.weights[j]] for j, label in enumerate(self.labels)},
                "intercept": {label: round(float(self.intercept[j]), 8) for j, label in enumerate(self.labels)}}
        Path(path).write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        return {"file": Path(path).name, "sha256": file_sha256(Path(path)), "labels": self.labels, **(extra or {})}

    @classmethod
    def load(cls, model_dir: Path, entry: dict, model_labels: list[str]) -> FrameStage:
        from ..span_head import file_sha256

        where = f"{model_dir}/framing.json frame_stage"
        try:
            name = str(entry["file"])
            path = Path(model_dir) / name
            if Path(name).name != name or not path.is_file():
                raise ModelLoadError(f"{where} names {name!r}, which is not a file in the model folder; copy the whole "
                                     "model folder again.")
            if file_sha256(path) != entry["sha256"]:
                raise ModelLoadError(f"{path} does not match its sha256 in framing.json (changed or damaged); copy the "
                                     "model folder again.")
            spec = json.loads(path.read_text(encoding="utf-8"))
            if spec["features"] != list(FEATURES):
                raise ValueError(f"it was built with features {spec['features']}, this framing computes {list(FEATURES)}")
            labels = [str(x) for x in spec["labels"]]
            stage = cls(labels, [[float(v) for v in spec["weights"][label]] for label in labels],
                        [float(spec["intercept"][label]) for label in labels])
        except ModelLoadError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"{where} is damaged ({str(exc)[:160]}); copy the model folder again.") from None
        unknown = [label for label in stage.labels if label not in model_labels]
        if unknown or not np.isfinite(stage.weights).all() or not np.isfinite(stage.intercept).all():
            raise ModelLoadError(f"{where}: re-scores labels the model lacks ({unknown}) or has non-finite weights.")
        return stage
