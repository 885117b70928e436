"""Batch scoring of crawled feeds: streaming, resumable, one JSONL record per input item.

Items come from the reader registry (`readers`), are prepared and scored in chunks by
`pipeline`; identical articles (content hash) are scored once per run. Output is appended and
fsynced per chunk (`outfile.DurableAppender`), so a killed run loses at most one chunk and
`--resume` continues where it stopped. Memory is bounded by the caps in `limits`.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import limits
from .errors import InputError
from .language import guess_language
from .outfile import DurableAppender, OutputLock, done_ids
from .pipeline import Prepared, SentenceCache, chunk_outputs, prepared_chunks, score_sentences
from .readers import FeedItem, iter_items
from .records import ArticleRecord, LabelAggregate, article_record, duplicate_record, error_record, head_of, to_jsonl
from .taxonomy import load_taxonomy


def propaganda_index(n_flagged: int, n_scored: int) -> float:
    """Share of scored sentences that use at least one technique (the model's any-technique
    decision) or carry a frame, in percent: 0 = none, 100 = every sentence."""
    return round(100.0 * n_flagged / n_scored, 1) if n_scored else 0.0


@dataclass
class Summary:
    """Counts every input item: scored + duplicate + failed + resumed_skip = items read."""

    scored: int = 0
    duplicate: int = 0
    failed: int = 0
    resumed_skip: int = 0
    sentences: int = 0
    sentences_scored: int = 0
    cache_hits: int = 0
    truncated: int = 0
    seconds: float = 0.0
    first_error: str | None = None

    @property
    def items(self) -> int:
        return self.scored + self.duplicate + self.failed + self.resumed_skip

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "first_error"}
        d["items"] = self.items
        d["articles_per_s"] = round((self.scored + self.duplicate + self.failed) / self.seconds, 2) if self.seconds else 0.0
        d["sentences_per_s"] = round(self.sentences / self.seconds, 1) if self.seconds else 0.0
        return d


class BatchScorer:
    def __init__(self, clf, chunk_articles: int = 64, workers: int = 2, cache_chars: int = limits.MAX_CACHE_CHARS):
        self.clf, self.chunk_articles, self.workers = clf, chunk_articles, max(1, workers)
        self.cache = SentenceCache(cache_chars)
        self.frame_cols = load_taxonomy().columns(clf.labels, "frame")

    def score_chunk(self, chunk: list[Prepared]) -> dict[str, np.ndarray]:
        return score_sentences(self.clf, chunk, self.cache)

    def article_record(self, p: Prepared, known: dict[str, np.ndarray]) -> ArticleRecord:
        outputs, spans = chunk_outputs(self.clf, p, known)
        scored = len(outputs)
        sentences = self.clf.sentence_records(p.item.id, p.sentences, outputs, spans)
        decisions = self.clf.decide(outputs)
        flagged = self.clf.any_technique(outputs)
        if self.frame_cols and scored:
            flagged = flagged | decisions[:, self.frame_cols].any(axis=1)
        aggregates: dict[str, LabelAggregate] = {}
        for j, label in enumerate(self.clf.labels):
            aggregates[label] = {"share": round(float(decisions[:, j].mean()), 4) if scored else 0.0,
                                 "count": int(decisions[:, j].sum()),
                                 "max": round(float(outputs[:, j].max()), 4) if scored else 0.0}
        span_counts = Counter(span["label"] for sentence in sentences for span in sentence["spans"])
        return article_record(head_of(p.item), language=guess_language(p.text or ""), content_hash=p.content_hash,
                              sentences=sentences, n_scored=scored,
                              propaganda_index=propaganda_index(int(flagged.sum()), scored), aggregates=aggregates,
                              span_counts=dict(sorted(span_counts.items())))

    def run(self, items: Iterable[FeedItem], out: Path, resume: bool = False, progress: bool = True) -> Summary:
        out = Path(out)
        summary = Summary()
        with OutputLock(out):
            if out.exists() and not resume and out.stat().st_size:
                raise InputError(f"{out} already exists; pass --resume to continue it or choose another --out")
            written_ids, seen_hashes = done_ids(out) if resume else (set(), {})
            started = time.perf_counter()
            bar = _progress(progress)

            def todo() -> Iterator[FeedItem]:
                for item in unique_ids(items):
                    if item.id in written_ids:
                        summary.resumed_skip += 1
                    else:
                        yield item

            with DurableAppender(out) as sink:
                for chunk in prepared_chunks(todo(), self.workers, self.chunk_articles):
                    self._write_chunk(chunk, sink, seen_hashes, summary)
                    summary.seconds = time.perf_counter() - started
                    if bar is not None:
                        figures = summary.to_dict()
                        bar.n = summary.items
                        bar.set_postfix(art_s=figures["articles_per_s"], sent_s=figures["sentences_per_s"])
                        bar.refresh()
            if bar is not None:
                bar.close()
        summary.seconds = time.perf_counter() - started
        summary.cache_hits = self.cache.hits
        summary.truncated = self.clf.truncated_count
        return summary

    def _write_chunk(self, chunk: list[Prepared], sink: DurableAppender, seen_hashes: dict, summary: Summary) -> None:
        fresh = []
        for p in chunk:
            if p.error is None and p.content_hash not in seen_hashes:
                seen_hashes[p.content_hash] = p.item.id
                fresh.append(p)
        known = self.score_chunk(fresh)
        fresh_ids = {id(p) for p in fresh}
        records = []
        for p in chunk:
            if p.error is not None:
                records.append(error_record(head_of(p.item), p.error))
                summary.failed += 1
                summary.first_error = summary.first_error or f"{p.item.id}: {p.error}"
            elif id(p) not in fresh_ids:
                records.append(duplicate_record(head_of(p.item), seen_hashes[p.content_hash], p.content_hash))
                summary.duplicate += 1
            else:
                rec = self.article_record(p, known)
                records.append(rec)
                summary.scored += 1
                summary.sentences += rec["n_sentences"]
                summary.sentences_scored += rec["n_scored"]
        sink.append(b"".join(to_jsonl(r) for r in records), len(records))


class IdAssigner:
    """Ids must be unique in OUT for --resume to work; an id seen again in the input (two feeds
    that reuse ids, a crawl that fetched a URL twice) becomes `id#2`, `id#3`, ... in input order,
    so a rerun over the same inputs gives every record the same id again. Both engines use it."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def __call__(self, item_id: str) -> str:
        n = self.counts.get(item_id, 0) + 1
        self.counts[item_id] = n
        if n == 1:
            return item_id
        renamed = f"{item_id}#{n}"
        while renamed in self.counts:  # an input that already uses the suffixed id
            n += 1
            renamed = f"{item_id}#{n}"
        self.counts[renamed] = 1
        return renamed


def unique_ids(items: Iterable[FeedItem]) -> Iterator[FeedItem]:
    assign = IdAssigner()
    for item in items:
        item.id = assign(item.id)
        yield item


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(desc="articles", unit="art", file=sys.stderr, dynamic_ncols=True)


def run_batch(inputs: list[str | Path], out: str | Path, clf, resume: bool = False, batch_articles: int = 64,
              workers: int = 2, progress: bool = True) -> Summary:
    return BatchScorer(clf, batch_articles, workers).run(iter_items(inputs), Path(out), resume, progress)
