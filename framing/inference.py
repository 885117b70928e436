"""The one inference API every command uses: `Classifier`.

`Classifier.load(path)` reads and validates the manifest and picks the backend (baseline or
transformer). `predict_proba` returns probabilities with columns in `.labels` order and rows in
input order; `score_documents` turns raw documents into sentence records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .manifest import read_manifest
from .paths import default_model_dir
from .segment import Sentence, segment
from .textio import clean_text


@dataclass
class ScoredDocument:
    doc: str
    sentences: list[dict]

    def to_dict(self) -> dict:
        return {"doc": self.doc, "sentences": self.sentences}


class BlendBackend:
    """A transformer whose outputs are averaged with a second saved model's (the TF-IDF baseline,
    kept in a subfolder): `(1 - w) * primary + w * secondary`, per output name. The blend was
    chosen on dev because the baseline's lexical cues help the rare techniques the small
    encoder misses."""

    def __init__(self, primary, secondary, weight: float, outputs: list[str], secondary_outputs: list[str]):
        self.primary, self.secondary, self.weight = primary, secondary, float(weight)
        self.columns = self.columns_for(outputs, secondary_outputs)

    @staticmethod
    def columns_for(outputs: list[str], secondary_outputs: list[str]) -> list[tuple[int, int]]:
        """(primary column, secondary column) for every output both models have."""
        return [(j, secondary_outputs.index(name)) for j, name in enumerate(outputs) if name in secondary_outputs]

    @staticmethod
    def combine(primary: np.ndarray, secondary: np.ndarray, weight: float, columns) -> np.ndarray:
        """The blend itself; outputs only the primary model has are kept as they are."""
        out = np.array(primary, dtype=np.float32)
        for j, k in columns:
            out[:, j] = (1 - weight) * out[:, j] + weight * secondary[:, k]
        return out

    @classmethod
    def load(cls, path: Path, manifest: dict, primary) -> BlendBackend:
        from .errors import ModelLoadError
        from .models.baseline import BaselineModel

        blend = manifest["blend"]
        sub = Path(path) / str(blend.get("path", ""))
        sub_manifest = read_manifest(sub)
        if sub_manifest["model_type"] != "baseline":
            raise ModelLoadError(f"{path}: blend member {sub.name} must be a baseline model")
        weight = blend.get("weight")
        if not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise ModelLoadError(f"{path}: blend.weight must be a number in [0, 1], got {weight!r}")
        sub_outputs = sub_manifest.get("outputs", sub_manifest["labels"])
        secondary = BaselineModel.load(sub, sub_outputs)
        return cls(primary, secondary, weight, manifest.get("outputs", manifest["labels"]), sub_outputs)

    @property
    def precision(self) -> str:
        return self.primary.precision

    @property
    def truncated(self) -> int:
        return self.primary.truncated

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.combine(self.primary.predict_proba(texts), self.secondary.predict_proba(texts), self.weight,
                            self.columns)


class Classifier:
    def __init__(self, backend, manifest: dict, path: Path):
        self.backend = backend
        self.manifest = manifest
        self.path = Path(path)
        self.labels: list[str] = list(manifest["labels"])
        self.thresholds = np.array([manifest["thresholds"][label] for label in self.labels], dtype=np.float32)
        # Extra model outputs after the labels; "any-technique" is a dedicated is-propaganda head.
        self.outputs: list[str] = list(manifest.get("outputs", self.labels))
        gate = manifest.get("any_technique") or {"mode": "union"}
        self.any_threshold = float(gate.get("threshold", 0.5))
        self.any_mode = gate.get("mode", "union")

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto", precision: str = "auto") -> Classifier:
        path = Path(path) if path else default_model_dir()
        manifest = read_manifest(path)
        if manifest["model_type"] == "baseline":
            from .models.baseline import BaselineModel

            backend = BaselineModel.load(path, manifest.get("outputs", manifest["labels"]))
        else:
            from .models.transformer_backend import TransformerBackend

            backend = TransformerBackend.load(path, manifest, device=device, precision=precision)
        if manifest.get("blend"):
            backend = BlendBackend.load(path, manifest, backend)
        return cls(backend, manifest, path)

    @property
    def model_type(self) -> str:
        return self.manifest["model_type"]

    def predict_outputs(self, texts: list[str]) -> np.ndarray:
        """Every model output: the label columns, then any extra heads (see `.outputs`)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.outputs)), dtype=np.float32)
        return np.asarray(self.backend.predict_proba(texts), dtype=np.float32)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, columns in `.labels` order, rows in input order."""
        return self.predict_outputs(texts)[:, : len(self.labels)]

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.decide(self.predict_proba(texts))

    def decide(self, probs: np.ndarray) -> np.ndarray:
        return np.asarray(probs)[:, : len(self.labels)] >= self.thresholds

    def any_technique(self, outputs: np.ndarray) -> np.ndarray:
        """Is the sentence propagandistic at all: the dedicated head where the model has one,
        else the union of its technique labels."""
        outputs = np.asarray(outputs)
        if self.any_mode == "dedicated":
            return outputs[:, self.outputs.index("any-technique")] >= self.any_threshold
        from .taxonomy import load_taxonomy

        tax = load_taxonomy()
        cols = [j for j, label in enumerate(self.labels) if tax.family_of(label) == "technique"]
        return self.decide(outputs)[:, cols].any(axis=1)

    @property
    def truncated_count(self) -> int:
        return int(getattr(self.backend, "truncated", 0))

    def sentence_records(self, doc_id: str, sentences: list[Sentence], outputs: np.ndarray) -> list[dict]:
        """Sentence records in document order; `outputs` holds one row per non-skipped sentence."""
        records, k = [], 0
        decisions = self.any_technique(outputs) if len(outputs) else []
        for sent in sentences:
            record = {"doc": doc_id, "index": sent.index, "start": sent.start, "end": sent.end, "text": sent.text,
                      "labels": [], "scores": None, "any_technique": None, "skipped": sent.skipped}
            if sent.skipped is None:
                row = outputs[k]
                record["scores"] = {label: round(float(p), 4) for label, p in zip(self.labels, row)}
                record["labels"] = [label for label, p, t in zip(self.labels, row, self.thresholds) if p >= t]
                record["any_technique"] = bool(decisions[k])
                k += 1
            records.append(record)
        return records

    def score_documents(self, docs: Iterable[tuple[str, str]]) -> list[ScoredDocument]:
        """Score (doc_id, raw text) pairs. All sentences of all documents go to the model in one
        call, so the backend can pack them into full batches."""
        docs = list(docs)
        segmented = [(doc_id, segment(clean_text(text))) for doc_id, text in docs]
        texts = [s.text for _, sents in segmented for s in sents if s.skipped is None]
        # Repeated sentences (bylines, boilerplate, quotes across articles) are scored once.
        unique = {text: k for k, text in enumerate(dict.fromkeys(texts))}
        probs = self.predict_outputs(list(unique))[[unique[text] for text in texts]]
        out, k = [], 0
        for doc_id, sents in segmented:
            n = sum(s.skipped is None for s in sents)
            out.append(ScoredDocument(doc_id, self.sentence_records(doc_id, sents, probs[k : k + n])))
            k += n
        return out
