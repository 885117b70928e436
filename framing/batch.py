"""Batch scoring of crawled feeds: streaming, resumable, one JSONL record per article.

Reading, HTML extraction and segmentation run in worker threads ahead of the model (lxml and
torch release the GIL, so they overlap); sentences of many articles are scored together in one
token-budget batch; identical sentences (site boilerplate repeats across a crawl) and identical
articles (content hash) are scored once per run. Output is appended and fsynced per chunk
(`outfile.DurableAppender`), so a killed run loses at most one chunk and `--resume` continues
where it stopped. Memory is bounded by the caps in `limits`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .extract import html_to_text
from .feeds import FeedItem, iter_inputs
from .language import guess_language
from .limits import CACHEABLE_SENTENCE_CHARS, MAX_CACHE_CHARS, MAX_CHUNK_CHARS, MAX_INFLIGHT_BYTES
from .outfile import DurableAppender, OutputLock, done_ids
from .segment import Sentence, segment
from .textio import clean_text


@dataclass
class Prepared:
    item: FeedItem
    text: str | None = None
    sentences: list[Sentence] = field(default_factory=list)
    content_hash: str | None = None
    error: str | None = None


def prepare(item: FeedItem) -> Prepared:
    """Extraction and segmentation of one item (runs in a worker thread)."""
    if item.error:
        return Prepared(item, error=item.error)
    if item.text:
        text = clean_text(item.text)
    else:
        text, problem = html_to_text(item.html or "")
        if problem:
            return Prepared(item, error=problem)
        text = clean_text(text)
    if not text.strip():
        return Prepared(item, error="empty text")
    return Prepared(item, text=text, sentences=segment(text),
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:20])


def propaganda_index(n_flagged: int, n_scored: int) -> float:
    """Share of scored sentences that use at least one technique (the model's any-technique
    decision) or carry a frame, in percent: 0 = none, 100 = every sentence."""
    return round(100.0 * n_flagged / n_scored, 1) if n_scored else 0.0


class SentenceCache:
    """Outputs of sentences already scored in this run, LRU-bounded by total characters (so
    memory stays flat however long the sentences); only short sentences are kept, because the
    ones that repeat across a crawl (boilerplate, bylines) are short."""

    def __init__(self, max_chars: int = MAX_CACHE_CHARS, max_sentence_chars: int = CACHEABLE_SENTENCE_CHARS):
        self.max_chars, self.max_sentence_chars = max_chars, max_sentence_chars
        self.data: OrderedDict[str, np.ndarray] = OrderedDict()
        self.chars = 0
        self.hits = 0

    def get(self, text: str):
        row = self.data.get(text)
        if row is not None:
            self.data.move_to_end(text)
            self.hits += 1
        return row

    def put(self, text: str, row: np.ndarray) -> None:
        if len(text) > self.max_sentence_chars or text in self.data:
            return
        self.data[text] = row
        self.chars += len(text)
        while self.chars > self.max_chars:
            old, _ = self.data.popitem(last=False)
            self.chars -= len(old)


@dataclass
class Summary:
    scored: int = 0
    duplicate: int = 0
    failed: int = 0
    resumed_skip: int = 0
    sentences: int = 0
    sentences_scored: int = 0
    cache_hits: int = 0
    truncated: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["articles_per_s"] = round((self.scored + self.duplicate + self.failed) / self.seconds, 2) if self.seconds else 0.0
        d["sentences_per_s"] = round(self.sentences / self.seconds, 1) if self.seconds else 0.0
        return d


class BatchScorer:
    def __init__(self, clf, chunk_articles: int = 64, workers: int = 2, cache_chars: int = MAX_CACHE_CHARS):
        self.clf, self.chunk_articles, self.workers = clf, chunk_articles, max(1, workers)
        self.cache = SentenceCache(cache_chars)
        from .taxonomy import load_taxonomy

        tax = load_taxonomy()
        self.frame_cols = [j for j, label in enumerate(clf.labels) if tax.family_of(label) == "frame"]

    def _score_chunk(self, chunk: list[Prepared]) -> dict[str, np.ndarray]:
        """Outputs for every scored sentence of the chunk; only sentences not seen earlier in
        the run go to the model, all in one call so the backend packs full batches."""
        known, todo = {}, []
        for p in chunk:
            for s in p.sentences:
                if s.skipped is None and s.text not in known:
                    row = self.cache.get(s.text)
                    if row is None:
                        todo.append(s.text)
                        known[s.text] = None
                    else:
                        known[s.text] = row
        if todo:
            for text, row in zip(todo, self.clf.predict_outputs(todo)):
                self.cache.put(text, row)
                known[text] = row
        return known

    def article_record(self, p: Prepared, known: dict[str, np.ndarray]) -> dict:
        scored = [s for s in p.sentences if s.skipped is None]
        outputs = np.array([known[s.text] for s in scored]) if scored else np.zeros((0, len(self.clf.outputs)))
        sentences = self.clf.sentence_records(p.item.id, p.sentences, outputs)
        decisions = self.clf.decide(outputs) if scored else np.zeros((0, len(self.clf.labels)), bool)
        flagged = self.clf.any_technique(outputs) if scored else np.zeros(0, bool)
        if self.frame_cols and scored:
            flagged = flagged | decisions[:, self.frame_cols].any(axis=1)
        aggregates = {}
        for j, label in enumerate(self.clf.labels):
            col = outputs[:, j] if scored else np.zeros(0)
            aggregates[label] = {"share": round(float(decisions[:, j].mean()), 4) if scored else 0.0,
                                 "count": int(decisions[:, j].sum()), "max": round(float(col.max()), 4) if scored else 0.0}
        return {**_head(p.item), "status": "scored",
                "language": guess_language(p.text or ""), "content_hash": p.content_hash,
                "n_sentences": len(p.sentences), "n_scored": len(scored), "n_skipped": len(p.sentences) - len(scored),
                "propaganda_index": propaganda_index(int(flagged.sum()), len(scored)),
                "aggregates": aggregates, "sentences": sentences}

    def run(self, items: Iterable[FeedItem], out: Path, resume: bool = False, progress: bool = True) -> Summary:
        out = Path(out)
        summary = Summary()
        with OutputLock(out):
            if out.exists() and not resume and out.stat().st_size:
                raise InputError(f"{out} already exists; pass --resume to continue it or choose another --out")
            written_ids, seen_hashes = done_ids(out) if resume else (set(), {})
            started = time.perf_counter()
            bar = _progress(progress)
            with DurableAppender(out) as sink, ThreadPoolExecutor(self.workers) as pool:
                window: deque = deque()  # (future, input characters), in input order
                chunk: list[Prepared] = []
                inflight = chunk_chars = 0

                def take():
                    nonlocal inflight, chunk_chars
                    future, size = window.popleft()
                    inflight -= size
                    chunk.append(future.result())
                    chunk_chars += len(chunk[-1].text or "")
                    if len(chunk) >= self.chunk_articles or chunk_chars >= MAX_CHUNK_CHARS:
                        flush()

                def flush():
                    nonlocal chunk_chars
                    self._write_chunk(chunk, sink, seen_hashes, summary)
                    chunk.clear()
                    chunk_chars = 0
                    summary.seconds = time.perf_counter() - started
                    if bar is not None:
                        bar.n = summary.scored + summary.duplicate + summary.failed
                        bar.set_postfix(art_s=summary.to_dict()["articles_per_s"],
                                        sent_s=summary.to_dict()["sentences_per_s"])
                        bar.refresh()

                for item in unique_ids(items):
                    if item.id in written_ids:
                        summary.resumed_skip += 1
                        continue
                    size = len(item.text or "") + len(item.html or "")
                    window.append((pool.submit(prepare, item), size))
                    inflight += size
                    # Read ahead of the model, but never more than a bounded amount of raw input.
                    while window and (len(window) >= self.workers * self.chunk_articles or inflight > MAX_INFLIGHT_BYTES):
                        take()
                while window:
                    take()
                flush()
            if bar is not None:
                bar.close()
        summary.seconds = time.perf_counter() - started
        summary.cache_hits = self.cache.hits
        summary.truncated = self.clf.truncated_count
        return summary

    def _write_chunk(self, chunk: list[Prepared], sink: DurableAppender, seen_hashes: dict, summary: Summary) -> None:
        if not chunk:
            return
        fresh, records = [], []
        for p in chunk:
            if p.error is None and p.content_hash not in seen_hashes:
                seen_hashes[p.content_hash] = p.item.id
                fresh.append(p)
        known = self._score_chunk(fresh)
        fresh_ids = {id(p) for p in fresh}
        for p in chunk:
            if p.error is not None:
                records.append(error_record(p.item, p.error))
                summary.failed += 1
            elif id(p) not in fresh_ids:
                records.append(duplicate_record(_head(p.item), seen_hashes[p.content_hash], p.content_hash))
                summary.duplicate += 1
            else:
                rec = self.article_record(p, known)
                records.append(rec)
                summary.scored += 1
                summary.sentences += rec["n_sentences"]
                summary.sentences_scored += rec["n_scored"]
        sink.append(b"".join(_jsonl(r) for r in records), len(records))


def _head(item: FeedItem) -> dict:
    return {"id": item.id, "url": item.url, "title": item.title, "source": item.source}


def duplicate_record(head: dict, duplicate_of: str, content_hash: str) -> dict:
    """The record of an article whose exact text an earlier one had (both engines write it)."""
    return {**head, "status": "duplicate", "duplicate_of": duplicate_of, "content_hash": content_hash}


def error_record(item: FeedItem, error: str) -> dict:
    return {**_head(item), "status": "error", "error": error}


def _jsonl(record: dict) -> bytes:
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:  # never lose the id over one bad field
        head = {k: clean_text(str(record.get(k))) if record.get(k) is not None else None
                for k in ("id", "url", "title", "source")}
        return (json.dumps({**head, "status": "error", "error": f"record could not be written ({type(exc).__name__})"},
                           ensure_ascii=False) + "\n").encode("utf-8")


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


def unique_ids(items: Iterable[FeedItem]):
    assign = IdAssigner()
    for item in items:
        item.id = assign(item.id)
        yield item


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(desc="articles", unit="art", file=sys.stderr, dynamic_ncols=True)


def run_batch(inputs: list[str], out: str | Path, clf, resume: bool = False, batch_articles: int = 64,
              workers: int = 2, progress: bool = True) -> Summary:
    return BatchScorer(clf, batch_articles, workers).run(iter_inputs(inputs), Path(out), resume, progress)
