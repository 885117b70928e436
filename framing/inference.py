"""The one inference API every command uses: `Classifier`.

`Classifier.load(path)` reads and validates the manifest and picks the backend (baseline,
transformer, or a transformer blended with a baseline; all implement `models.backend.Backend`).
`predict_proba` returns probabilities with columns in `.labels` order and rows in input order;
`score_documents` turns raw documents into `DocumentRecord`s.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .manifest import read_manifest
from .models.backend import Backend
from .paths import default_model_dir
from .records import DocumentRecord, SentenceRecord, document_record, item_head, sentence_record
from .segment import Sentence
from .taxonomy import ANY_TECHNIQUE, load_taxonomy


class Classifier:
    def __init__(self, backend: Backend, manifest: dict, path: Path):
        self.backend = backend
        self.manifest = manifest
        self.path = Path(path)
        self.labels: list[str] = list(manifest["labels"])
        self.thresholds = np.array([manifest["thresholds"][label] for label in self.labels], dtype=np.float32)
        # Extra model outputs after the labels; "any-technique" is a dedicated is-propaganda head.
        self.outputs: list[str] = list(manifest.get("outputs", self.labels))
        if list(backend.outputs) != self.outputs:
            raise ModelLoadError(f"{path}: the model computes outputs {list(backend.outputs)} but the manifest lists "
                                 f"{self.outputs}; the model folder is inconsistent.")
        gate = manifest.get("any_technique") or {"mode": "union"}
        self.any_threshold = float(gate.get("threshold", 0.5))
        self.any_mode = gate.get("mode", "union")
        self.technique_cols = load_taxonomy().columns(self.labels, "technique")
        self.truncated_count = 0  # inputs cut to the model's max length, over this classifier's life

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto", precision: str = "auto") -> Classifier:
        path = Path(path) if path else default_model_dir()
        manifest = read_manifest(path)
        outputs = manifest.get("outputs", manifest["labels"])
        backend: Backend
        if manifest["model_type"] == "baseline":
            from .models.baseline import BaselineModel

            backend = BaselineModel.load(path, outputs)
        else:
            from .models.transformer_backend import TransformerBackend

            backend = TransformerBackend.load(path, manifest, device=device, precision=precision)
        if manifest.get("blend"):
            from .models.blend import BlendBackend

            backend = BlendBackend.load(path, manifest, backend)
        return cls(backend, manifest, path)

    @property
    def model_type(self) -> str:
        return self.manifest["model_type"]

    @property
    def precision(self) -> str:
        return self.backend.precision

    def predict_outputs(self, texts: list[str]) -> np.ndarray:
        """Every model output: the label columns, then any extra heads (see `.outputs`)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.outputs)), dtype=np.float32)
        prediction = self.backend.predict_outputs(texts)
        self.truncated_count += prediction.truncated
        return np.asarray(prediction.scores, dtype=np.float32)

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
            return outputs[:, self.outputs.index(ANY_TECHNIQUE)] >= self.any_threshold
        return self.decide(outputs)[:, self.technique_cols].any(axis=1)

    def sentence_records(self, doc_id: str, sentences: list[Sentence], outputs: np.ndarray) -> list[SentenceRecord]:
        """Sentence records in document order; `outputs` holds one row per non-skipped sentence."""
        records, k = [], 0
        decisions = self.any_technique(outputs) if len(outputs) else []
        for sent in sentences:
            record = sentence_record(doc_id, sent.index, sent.start, sent.end, sent.text, sent.skipped)
            if sent.skipped is None:
                row = outputs[k]
                record["scores"] = {label: round(float(p), 4) for label, p in zip(self.labels, row)}
                record["labels"] = [label for label, p, t in zip(self.labels, row, self.thresholds) if p >= t]
                record["any_technique"] = bool(decisions[k])
                k += 1
            records.append(record)
        return records

    def score_documents(self, docs: Iterable[tuple[str, str]], source: str = "<api>") -> list[DocumentRecord]:
        """Score (doc_id, raw text) pairs, in order: one `DocumentRecord` each (sentences with
        offsets into the text, labels and scores). Sentences of all documents go to the model
        together, and a repeated sentence is scored once."""
        from .pipeline import Prepared, SentenceCache, chunk_outputs, score_sentences
        from .readers import FeedItem
        from .segment import segment
        from .textio import clean_text

        prepared = [Prepared(FeedItem(id=doc_id, source=source, text=text), text=clean_text(text),
                             sentences=segment(clean_text(text))) for doc_id, text in docs]
        known = score_sentences(self, prepared, SentenceCache())
        return [document_record(item_head(p.item.id, source),
                                self.sentence_records(p.item.id, p.sentences, chunk_outputs(self, p, known)))
                for p in prepared]
