"""Items -> prepared chunks -> sentence outputs: the scoring path `score`, `batch` and the Ray
engine share.

Reading, HTML extraction and segmentation run in worker threads ahead of the model (lxml and
torch release the GIL, so they overlap), never more than a bounded amount of raw input ahead;
chunks are cut by article count and by characters. Sentences of a whole chunk go to the model
in one call so the backend packs full token-budget batches, and sentences already scored in
the run (site boilerplate repeats across a crawl) come from a character-bounded LRU cache.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from cachetools import LRUCache

from . import limits
from .extract import html_to_text
from .readers import FeedItem
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


def prepared_chunks(items: Iterable[FeedItem], workers: int = 2, chunk_articles: int = 64) -> Iterator[list[Prepared]]:
    """Prepared items in input order, in chunks of at most `chunk_articles` items and about
    MAX_CHUNK_CHARS characters; at most MAX_INFLIGHT_BYTES of raw input is read ahead."""
    workers = max(1, workers)
    with ThreadPoolExecutor(workers) as pool:
        window: deque = deque()  # (future, input characters), in input order
        chunk: list[Prepared] = []
        inflight = chunk_chars = 0
        for item in items:
            size = len(item.text or "") + len(item.html or "")
            window.append((pool.submit(prepare, item), size))
            inflight += size
            while window and (len(window) >= workers * chunk_articles or inflight > limits.MAX_INFLIGHT_BYTES):
                future, size = window.popleft()
                inflight -= size
                chunk.append(future.result())
                chunk_chars += len(chunk[-1].text or "")
                if len(chunk) >= chunk_articles or chunk_chars >= limits.MAX_CHUNK_CHARS:
                    yield chunk
                    chunk, chunk_chars = [], 0
        while window:
            chunk.append(window.popleft()[0].result())
            chunk_chars += len(chunk[-1].text or "")
            if len(chunk) >= chunk_articles or chunk_chars >= limits.MAX_CHUNK_CHARS:
                yield chunk
                chunk, chunk_chars = [], 0
        if chunk:
            yield chunk


class SentenceCache:
    """Outputs of sentences already scored in this run, LRU-bounded by total characters of
    sentence text (so memory stays flat however long the sentences); only short sentences are
    kept, because the ones that repeat across a crawl (boilerplate, bylines) are short."""

    def __init__(self, max_chars: int = limits.MAX_CACHE_CHARS,
                 max_sentence_chars: int = limits.CACHEABLE_SENTENCE_CHARS):
        self.max_sentence_chars = min(max_sentence_chars, max_chars)
        # values are (row, characters of the key): cachetools sizes entries by their value
        self.data: LRUCache = LRUCache(maxsize=max_chars, getsizeof=lambda value: value[1])
        self.hits = 0

    @property
    def chars(self) -> int:
        return int(self.data.currsize)

    def get(self, text: str):
        entry = self.data.get(text)
        if entry is None:
            return None
        self.hits += 1
        return entry[0]

    def put(self, text: str, value) -> None:
        """`value`: what the run keeps for the sentence (its output row and spans)."""
        if 0 < len(text) <= self.max_sentence_chars and text not in self.data:
            self.data[text] = (value, len(text))


def score_sentences(clf, chunk: list[Prepared], cache: SentenceCache) -> dict[str, tuple]:
    """(output row, spans) for every scored sentence of the chunk, keyed by text; only sentences
    not seen earlier in the run go to the model, all in one call. Spans are in the sentence's
    own characters (the same for every occurrence of the sentence)."""
    known, todo = {}, []
    for p in chunk:
        for s in p.sentences:
            if s.skipped is None and s.text not in known:
                entry = cache.get(s.text)
                known[s.text] = entry
                if entry is None:
                    todo.append(s.text)
    if todo:
        rows, spans = clf.predict_sentences(todo)
        for text, row, sent_spans in zip(todo, rows, spans):
            cache.put(text, (row, sent_spans))
            known[text] = (row, sent_spans)
    return known


def chunk_outputs(clf, p: Prepared, known: dict[str, tuple]) -> tuple[np.ndarray, list]:
    """One output row and one span list per non-skipped sentence of `p`, in document order."""
    scored = [s.text for s in p.sentences if s.skipped is None]
    entries = [known[text] for text in scored]
    if not entries:
        return np.zeros((0, len(clf.outputs)), dtype=np.float32), []
    # the cache holds sentence scores; the article-context stage depends on the article, so it runs here
    outputs = clf.document_outputs(scored, np.array([row for row, _ in entries], dtype=np.float32))
    return outputs, [spans for _, spans in entries]
