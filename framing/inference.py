"""The one inference API every command uses: `Classifier`.

`Classifier.load(path)` reads and validates the manifest and picks the backend (baseline,
transformer, or a transformer blended with a baseline; all implement `models.backend.Backend`).
`predict_proba` returns probabilities with columns in `.labels` order and rows in input order;
`score_documents` turns raw documents into `DocumentRecord`s.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .manifest import read_manifest
from .models.backend import Backend
from .models.context_stage import FOLDER, ContextStage
from .models.frame_stage import FrameStage
from .paths import default_model_dir
from .records import DocumentRecord, SentenceRecord, SpanRecord, document_record, item_head, sentence_record
from .segment import Sentence, segment
from .span_decode import decode
from .taxonomy import ANY_TECHNIQUE, load_taxonomy
from .textio import clean_text

_TOLD_NO_SPANS: set[str] = set()  # model folders already said to have no span head (once per process)
SentenceSpans = list[tuple[int, int, str, float]]  # (start, end, label, score) in the sentence's characters


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
        self.context: ContextStage | None = None  # the article-context stage, where the model has one
        self.context_columns: list[int] = []
        self.frame_stage: FrameStage | None = None  # the article frame stage, where the model has one
        self.frame_columns: list[int] = []
        self.truncated_count = 0  # inputs cut to the model's max length, over this classifier's life

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto", precision: str = "auto",
             spans: bool = True) -> Classifier:
        """`spans=False` leaves the span head out (sentence scores only, as a model without one)."""
        path = Path(path) if path else default_model_dir()
        manifest = read_manifest(path)
        outputs = manifest.get("outputs", manifest["labels"])
        backend: Backend
        if manifest["model_type"] == "baseline":
            from .models.baseline import BaselineModel

            backend = BaselineModel.load(path, outputs)
        else:
            from .models.transformer_backend import TransformerBackend, load_precision

            if load_precision(manifest, device, precision) == "int8":
                from .models.int8_backend import Int8Backend

                backend = Int8Backend.load(path, manifest, spans=spans)
            else:
                backend = TransformerBackend.load(path, manifest, device=device, precision=precision, spans=spans)
        if manifest.get("blend"):
            from .models.blend import BlendBackend

            backend = BlendBackend.load(path, manifest, backend)
        clf = cls(backend, manifest, path)
        if manifest.get("context"):
            clf.set_context(ContextStage.load(path / str(manifest["context"].get("path", FOLDER))))
        if manifest.get("frame_stage"):
            clf.set_frame_stage(FrameStage.load(path, manifest["frame_stage"], clf.labels))
        # A transformer folder from before span heads: say once that its records carry no spans
        # (a baseline has no tokens to mark, so there is nothing to say).
        if spans and clf.model_type == "transformer" and not clf.has_spans and str(path) not in _TOLD_NO_SPANS:
            _TOLD_NO_SPANS.add(str(path))
            print(f"framing: {path} has no span head, so records carry no spans; `framing spans train {path}` adds one",
                  file=sys.stderr)
        return clf

    def set_context(self, stage: ContextStage | None) -> None:
        if stage is not None:
            unknown = [label for label in stage.labels if label not in self.labels]
            if unknown:
                raise ModelLoadError(f"{self.path}: the context stage re-scores {unknown}, which the model does not label")
            self.context_columns = [self.outputs.index(label) for label in stage.labels]
        self.context = stage

    def set_frame_stage(self, stage: FrameStage | None) -> None:
        self.frame_columns = [self.outputs.index(label) for label in stage.labels] if stage is not None else []
        self.frame_stage = stage

    @property
    def has_document_stages(self) -> bool:
        """Whether a sentence's outputs depend on the rest of its article."""
        return self.context is not None or self.frame_stage is not None

    def document_outputs(self, sentences: list[str], outputs: np.ndarray) -> np.ndarray:
        """Outputs of one document's scored sentences (in document order) after the article-context
        stage and the article frame stage; unchanged for a model without them."""
        if self.context is not None:
            outputs = self.context.apply(sentences, outputs, self.context_columns)
        if self.frame_stage is not None:
            outputs = self.frame_stage.apply(outputs, self.frame_columns)
        return outputs

    @property
    def has_spans(self) -> bool:
        return self.backend.span_head is not None

    @property
    def model_type(self) -> str:
        return self.manifest["model_type"]

    @property
    def precision(self) -> str:
        return self.backend.precision

    def model_info(self) -> dict:
        """What scored: the folder, its release, its type and the precision it computed in
        (auto resolves per machine, so outputs say which one was used)."""
        return {"path": str(self.path), "version": self.manifest.get("version"), "model_type": self.model_type,
                "precision": self.precision}

    def predict_outputs(self, texts: list[str]) -> np.ndarray:
        """Every model output: the label columns, then any extra heads (see `.outputs`)."""
        return self.predict_sentences(texts, spans=False)[0]

    def predict_sentences(self, texts: list[str], spans: bool = True) -> tuple[np.ndarray, list[SentenceSpans]]:
        """Outputs (as `predict_outputs`) and each text's technique spans in its own characters,
        from one forward pass; no spans without a span head."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.outputs)), dtype=np.float32), []
        prediction = self.backend.predict_outputs(texts)
        self.truncated_count += prediction.truncated
        found: list[SentenceSpans] = [[] for _ in texts]
        head = self.backend.span_head
        if spans and head is not None and prediction.tokens is not None:
            found = [decode(text, t.offsets, t.probs, head.outputs, head.thresholds, head.decoding, skip=(ANY_TECHNIQUE,))
                     for text, t in zip(texts, prediction.tokens)]
        return np.asarray(prediction.scores, dtype=np.float32), found

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

    def sentence_records(self, doc_id: str, sentences: list[Sentence], outputs: np.ndarray,
                         spans: list[SentenceSpans] | None = None) -> list[SentenceRecord]:
        """Sentence records in document order; `outputs` (and `spans`, in each sentence's own
        characters) hold one entry per non-skipped sentence."""
        records, k = [], 0
        decisions = self.any_technique(outputs) if len(outputs) else []
        for sent in sentences:
            record = sentence_record(doc_id, sent.index, sent.start, sent.end, sent.text, sent.skipped)
            if sent.skipped is None:
                row = outputs[k]
                record["scores"] = {label: round(float(p), 4) for label, p in zip(self.labels, row)}
                record["labels"] = [label for label, p, t in zip(self.labels, row, self.thresholds) if p >= t]
                record["any_technique"] = bool(decisions[k])
                record["spans"] = [span_record(sent, *span) for span in (spans[k] if spans else [])]
                k += 1
            records.append(record)
        return records

    def document_spans(self, text: str, for_si: bool = False) -> list[SpanRecord]:
        """The technique spans of a whole document, offsets into `text`. `for_si`: the spans the
        span-identification task scores (technique-free), as the head's decoding settings say."""
        text = clean_text(text)
        sentences = [s for s in segment(text) if s.skipped is None]
        head = self.backend.span_head
        if head is None:
            return []
        prediction = self.backend.predict_outputs([s.text for s in sentences]) if sentences else None
        out: list[SpanRecord] = []
        si_any = for_si and head.decoding.get("si_source") == ANY_TECHNIQUE
        # SI spans only where the sentence model calls the sentence propagandistic at all, when tuned so
        gate = float(head.decoding.get("si_gate", 0.0)) if si_any and ANY_TECHNIQUE in self.outputs else 0.0
        sentence_any = np.asarray(prediction.scores)[:, self.outputs.index(ANY_TECHNIQUE)] if gate else None
        for k, (sent, tokens) in enumerate(zip(sentences, prediction.tokens if prediction else [])):
            if sentence_any is not None and sentence_any[k] < gate:
                continue
            if si_any:
                j = head.outputs.index(ANY_TECHNIQUE)
                found = decode(sent.text, tokens.offsets, tokens.probs[:, [j]], [ANY_TECHNIQUE],
                               np.array([head.decoding["si_threshold"]]), head.decoding)
            else:
                found = decode(sent.text, tokens.offsets, tokens.probs, head.outputs, head.thresholds, head.decoding,
                               skip=(ANY_TECHNIQUE,))
            out.extend(span_record(sent, *span) for span in found)
        return out

    def document_tokens(self, text: str):
        """Every scored token of `text` with its hidden state, and its sentences' technique
        scores (what the span classifier reads), from one forward pass."""
        from .span_classify import DocumentTokens

        text = clean_text(text)
        sentences = [s for s in segment(text) if s.skipped is None]
        head = self.backend.span_head
        width = head.module[0].in_features // (2 * head.context + 1)  # the encoder's hidden size
        if not sentences:
            empty = np.zeros(0, np.int64)
            return DocumentTokens(text, empty, empty, empty, np.zeros((0, width), np.float32),
                                  np.zeros((0, len(self.technique_cols)), np.float32))
        prediction = self.backend.predict_outputs([s.text for s in sentences], token_features=True)
        tokens = prediction.tokens
        return DocumentTokens(
            text, np.concatenate([s.start + t.offsets[:, 0] for s, t in zip(sentences, tokens)]),
            np.concatenate([s.start + t.offsets[:, 1] for s, t in zip(sentences, tokens)]),
            np.concatenate([np.full(len(t.offsets), k) for k, t in enumerate(tokens)]),
            np.concatenate([t.features for t in tokens]), np.asarray(prediction.scores)[:, self.technique_cols])

    def classify_spans(self, text: str, spans: list[tuple[int, int]]) -> list[list[str]]:
        """For each (start, end) span of `text`, the techniques ranked best first (TC)."""
        from .span_classify import span_features

        head = self.backend.span_head
        if head is None or head.classifier is None:
            raise ModelLoadError(f"{self.path} has no span classifier; `framing spans train {self.path}` adds one")
        doc = self.document_tokens(text)
        if not spans:
            return []
        ranks = head.classifier.rank(np.stack([span_features(doc, a, b) for a, b in spans]))
        return [[head.classifier.labels[j] for j in row] for row in ranks]

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
                                self.sentence_records(p.item.id, p.sentences, *chunk_outputs(self, p, known)))
                for p in prepared]


def span_record(sent: Sentence, start: int, end: int, label: str, score: float) -> SpanRecord:
    """A span of `sent` (offsets in its characters) in document offsets."""
    return {"start": sent.start + start, "end": sent.start + end, "label": label, "score": score,
            "text": sent.text[start:end]}
