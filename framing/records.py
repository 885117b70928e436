"""Every output record, typed and built in one place.

`framing score --format jsonl` writes `SentenceRecord`s (and `ErrorRecord`s for inputs that
failed), `--format json` one `DocumentRecord` per document, `framing batch` one
`ArticleRecord`, `DuplicateRecord` or `ErrorRecord` per input item. Records are plain dicts at
run time (TypedDicts: no conversion cost on the batch path); `framing.schema` turns these
definitions into the JSON Schemas in docs/schema/. Bump SCHEMA_VERSION when a field changes
meaning or goes away (adding an optional field is a minor bump).
"""

from __future__ import annotations

from typing import Literal, TypedDict

SCHEMA_VERSION = "1.1"  # 1.1: sentence spans, article span_counts


class SpanRecord(TypedDict):
    """Words that carry a technique: character offsets in the document (start inclusive, end
    exclusive, `text == document[start:end]`), inside one sentence; spans may overlap."""

    start: int
    end: int
    label: str
    score: float  # mean token probability over the span
    text: str


class SentenceRecord(TypedDict):
    """One sentence of a document, in document order. Skipped sentences (boilerplate) have
    `skipped` set and no scores."""

    schema_version: str
    doc: str  # the id of the document the sentence belongs to
    index: int  # position of the sentence in its document, from 0
    start: int  # character offset in the document text, inclusive
    end: int  # character offset in the document text, exclusive
    text: str  # exactly document[start:end]
    labels: list[str]  # labels at or over their threshold
    scores: dict[str, float] | None  # probability per label; None when skipped
    any_technique: bool | None  # uses at least one technique; None when skipped
    skipped: str | None  # why the sentence was not scored (boilerplate), else None
    spans: list[SpanRecord]  # empty for a skipped sentence or a model without a span head


class ItemHead(TypedDict):
    """What identifies an input item in every record about it."""

    schema_version: str
    id: str
    source: str  # the input file (or <stdin>) the item came from
    url: str | None
    title: str | None


class ErrorRecord(ItemHead):
    status: Literal["error"]
    error: str  # one line: what is wrong and how to fix it


class DocumentRecord(ItemHead):
    status: Literal["scored"]
    sentences: list[SentenceRecord]


class LabelAggregate(TypedDict):
    share: float  # share of scored sentences with the label
    count: int  # scored sentences with the label
    max: float  # highest probability of the label in the article


class ArticleRecord(ItemHead):
    status: Literal["scored"]
    language: str | None
    content_hash: str  # of the extracted text; equal texts are scored once per run
    n_sentences: int
    n_scored: int
    n_skipped: int
    propaganda_index: float  # percent of scored sentences with a technique or a frame
    aggregates: dict[str, LabelAggregate]
    span_counts: dict[str, int]  # spans per label in the article
    sentences: list[SentenceRecord]


class DuplicateRecord(ItemHead):
    status: Literal["duplicate"]
    duplicate_of: str  # id of the earlier item with the same text
    content_hash: str


def item_head(item_id: str, source: str, url: str | None = None, title: str | None = None) -> ItemHead:
    return {"schema_version": SCHEMA_VERSION, "id": item_id, "source": source, "url": url, "title": title}


def head_of(item) -> ItemHead:
    """The head of a reader's FeedItem."""
    return item_head(item.id, item.source, item.url, item.title)


def error_record(head: ItemHead, error: str) -> ErrorRecord:
    return {**head, "status": "error", "error": error}


def duplicate_record(head: ItemHead, duplicate_of: str, content_hash: str) -> DuplicateRecord:
    return {**head, "status": "duplicate", "duplicate_of": duplicate_of, "content_hash": content_hash}


def document_record(head: ItemHead, sentences: list[SentenceRecord]) -> DocumentRecord:
    return {**head, "status": "scored", "sentences": sentences}


def sentence_record(doc: str, index: int, start: int, end: int, text: str, skipped: str | None) -> SentenceRecord:
    """A sentence before scoring: no labels, no scores (what a skipped sentence stays)."""
    return {"schema_version": SCHEMA_VERSION, "doc": doc, "index": index, "start": start, "end": end, "text": text,
            "labels": [], "scores": None, "any_technique": None, "skipped": skipped, "spans": []}


def article_record(head: ItemHead, *, language: str | None, content_hash: str, sentences: list[SentenceRecord],
                   n_scored: int, propaganda_index: float, aggregates: dict[str, LabelAggregate],
                   span_counts: dict[str, int]) -> ArticleRecord:
    return {**head, "status": "scored", "language": language, "content_hash": content_hash,
            "n_sentences": len(sentences), "n_scored": n_scored, "n_skipped": len(sentences) - n_scored,
            "propaganda_index": propaganda_index, "aggregates": aggregates, "span_counts": span_counts,
            "sentences": sentences}


# The output formats and the records each may hold (docs/schema/<name>.schema.json).
FORMATS = {
    "score-jsonl": (SentenceRecord, ErrorRecord),
    "score-json": (DocumentRecord, ErrorRecord),
    "batch": (ArticleRecord, DuplicateRecord, ErrorRecord),
}


def to_jsonl(record: dict) -> bytes:
    """One JSONL line. A record that can't be serialised becomes an error record under the
    same head, so its id is never lost."""
    import json

    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        from .textio import clean_text

        head = item_head(*(clean_text(str(record.get(k))) if record.get(k) is not None else None
                           for k in ("id", "source", "url", "title")))
        head["id"], head["source"] = head["id"] or "", head["source"] or ""
        return (json.dumps(error_record(head, f"record could not be written ({type(exc).__name__})"),
                           ensure_ascii=False) + "\n").encode("utf-8")
