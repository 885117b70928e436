"""Batch scoring of crawled feeds: streaming, resumable, one JSONL record per article.

Reading, HTML extraction and segmentation run in worker threads ahead of the model (lxml and
torch release the GIL, so they overlap); sentences of many articles are scored together in one
token-budget batch; identical sentences (site boilerplate repeats across a crawl) and identical
articles (content hash) are scored once per run. Output is appended and flushed per chunk, so a
killed run loses at most one chunk and `--resume` continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .feeds import FeedItem, iter_inputs
from .language import guess_language
from .segment import Sentence, segment


@dataclass
class Prepared:
    item: FeedItem
    text: str | None = None
    sentences: list[Sentence] = field(default_factory=list)
    content_hash: str | None = None
    error: str | None = None


def extract_main_text(html: str) -> str | None:
    import logging

    import trafilatura

    # trafilatura logs every unparseable page; the error record already says what happened
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if text is None and html.strip() and not re.search(r"<(html|body)\b", html[:2000], re.IGNORECASE):
        # RSS/Atom bodies are short HTML fragments that main-text extraction rejects as too
        # small; for a fragment, its text content is the article.
        import lxml.html

        text = lxml.html.fromstring(html).text_content()
    return text


def prepare(item: FeedItem) -> Prepared:
    """Extraction and segmentation of one item (runs in a worker thread)."""
    if item.error:
        return Prepared(item, error=item.error)
    try:
        text = item.text if item.text else extract_main_text(item.html or "")
    except Exception as exc:  # a parser crash on hostile HTML is one bad record, not a dead run
        return Prepared(item, error=f"HTML extraction failed: {type(exc).__name__}")
    if not text or not text.strip():
        return Prepared(item, error="no main text found in HTML" if item.html else "empty text")
    return Prepared(item, text=text, sentences=segment(text),
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:20])


def propaganda_index(n_flagged: int, n_scored: int) -> float:
    """Share of scored sentences that use at least one technique (the model's any-technique
    decision) or carry a frame, in percent: 0 = none, 100 = every sentence."""
    return round(100.0 * n_flagged / n_scored, 1) if n_scored else 0.0


class SentenceCache:
    """Outputs of sentences already scored in this run, LRU-bounded so memory stays flat."""

    def __init__(self, max_items: int = 200_000):
        self.max_items = max_items
        self.data: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0

    def get(self, text: str):
        row = self.data.get(text)
        if row is not None:
            self.data.move_to_end(text)
            self.hits += 1
        return row

    def put(self, text: str, row: np.ndarray) -> None:
        self.data[text] = row
        if len(self.data) > self.max_items:
            self.data.popitem(last=False)


class OutputLock:
    """OUT.lock holds the writer's pid; a second live run on the same OUT is refused."""

    def __init__(self, out: Path):
        self.path = out.with_name(out.name + ".lock")

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid = self._owner()
                if pid and _alive(pid):
                    raise InputError(f"{self.path.name[:-5]} is being written by another run (pid {pid}); "
                                     "wait for it or choose another --out") from None
                self.path.unlink(missing_ok=True)  # stale lock of a killed run
                continue
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return self
        raise InputError(f"can't take the lock {self.path}")

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def done_ids(out: Path) -> tuple[set[str], dict[str, str]]:
    """Ids (and content hashes) already in OUT. A torn last line from a killed run is cut off."""
    ids, hashes = set(), {}
    if not out.exists():
        return ids, hashes
    with open(out, "rb+") as handle:
        good_end = 0
        for line in iter(handle.readline, b""):
            if not line.endswith(b"\n"):
                break
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break
            ids.add(rec["id"])
            if rec.get("content_hash") and rec.get("status") == "scored":
                hashes.setdefault(rec["content_hash"], rec["id"])
            good_end = handle.tell()
        handle.truncate(good_end)
    return ids, hashes


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
    def __init__(self, clf, chunk_articles: int = 64, workers: int = 2, cache_size: int = 200_000):
        self.clf, self.chunk_articles, self.workers = clf, chunk_articles, max(1, workers)
        self.cache = SentenceCache(cache_size)
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
        return {"id": p.item.id, "url": p.item.url, "title": p.item.title, "source": p.item.source, "status": "scored",
                "language": guess_language(p.text or ""), "content_hash": p.content_hash,
                "n_sentences": len(p.sentences), "n_scored": len(scored), "n_skipped": len(p.sentences) - len(scored),
                "propaganda_index": propaganda_index(int(flagged.sum()), len(scored)),
                "aggregates": aggregates, "sentences": sentences}

    def run(self, items: Iterable[FeedItem], out: Path, resume: bool = False, progress: bool = True,
            log=None) -> Summary:
        out = Path(out)
        summary = Summary()
        with OutputLock(out):
            if out.exists() and not resume and out.stat().st_size:
                raise InputError(f"{out} already exists; pass --resume to continue it or choose another --out")
            seen_ids, seen_hashes = done_ids(out) if resume else (set(), {})
            started = time.perf_counter()
            bar = _progress(progress)
            with open(out, "a", encoding="utf-8") as handle, ThreadPoolExecutor(self.workers) as pool:
                window: deque = deque()
                chunk: list[Prepared] = []

                def flush():
                    self._write_chunk(chunk, handle, seen_hashes, summary)
                    chunk.clear()
                    summary.seconds = time.perf_counter() - started
                    if bar is not None:
                        bar.n = summary.scored + summary.duplicate + summary.failed
                        bar.set_postfix(art_s=summary.to_dict()["articles_per_s"],
                                        sent_s=summary.to_dict()["sentences_per_s"])
                        bar.refresh()

                for item in items:
                    if item.id in seen_ids:
                        summary.resumed_skip += 1
                        continue
                    seen_ids.add(item.id)
                    window.append(pool.submit(prepare, item))
                    if len(window) >= self.workers * self.chunk_articles:
                        chunk.append(window.popleft().result())
                        if len(chunk) >= self.chunk_articles:
                            flush()
                while window:
                    chunk.append(window.popleft().result())
                    if len(chunk) >= self.chunk_articles:
                        flush()
                flush()
            if bar is not None:
                bar.close()
        summary.seconds = time.perf_counter() - started
        summary.cache_hits = self.cache.hits
        summary.truncated = self.clf.truncated_count
        return summary

    def _write_chunk(self, chunk: list[Prepared], handle, seen_hashes: dict, summary: Summary) -> None:
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
                records.append({"id": p.item.id, "url": p.item.url, "title": p.item.title, "source": p.item.source,
                                "status": "error", "error": p.error})
                summary.failed += 1
            elif id(p) not in fresh_ids:
                records.append({"id": p.item.id, "url": p.item.url, "title": p.item.title, "source": p.item.source,
                                "status": "duplicate", "duplicate_of": seen_hashes[p.content_hash],
                                "content_hash": p.content_hash})
                summary.duplicate += 1
            else:
                rec = self.article_record(p, known)
                records.append(rec)
                summary.scored += 1
                summary.sentences += rec["n_sentences"]
                summary.sentences_scored += rec["n_scored"]
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        handle.flush()
        os.fsync(handle.fileno())  # a chunk on disk survives kill -9


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(desc="articles", unit="art", file=sys.stderr, dynamic_ncols=True)


def run_batch(inputs: list[str], out: str | Path, clf, resume: bool = False, batch_articles: int = 64,
              workers: int = 2, progress: bool = True) -> Summary:
    return BatchScorer(clf, batch_articles, workers).run(iter_inputs(inputs), Path(out), resume, progress)
