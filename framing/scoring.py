"""`framing score` as a library call: inputs -> one record per item, streamed in input order.

Items are read by the same readers as `framing batch` and scored chunk by chunk through the
same pipeline, so memory stays flat however many or large the inputs (a chunk is written out
before the next is read); identical sentences are scored once per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .pipeline import SentenceCache, chunk_outputs, prepared_chunks, score_sentences
from .readers import iter_items
from .records import DocumentRecord, ErrorRecord, document_record, error_record, head_of


def score_items(clf, inputs: list[str | Path], workers: int = 2,
                chunk_articles: int = 64) -> Iterator[DocumentRecord | ErrorRecord]:
    cache = SentenceCache()
    for chunk in prepared_chunks(iter_items(inputs), workers, chunk_articles):
        known = score_sentences(clf, [p for p in chunk if p.error is None], cache)
        for p in chunk:
            if p.error is not None:
                yield error_record(head_of(p.item), p.error)
            else:
                sentences = clf.sentence_records(p.item.id, p.sentences, *chunk_outputs(clf, p, known))
                yield document_record(head_of(p.item), sentences)
