"""The micro-batching queue: concurrent requests merged into one model call.

The model is one worker thread's: it takes the first waiting request, then every request queued
behind it (or arriving within `batch_wait_ms` of it) up to `batch_sentences`, and scores all their
sentences in one `score_sentences` call, so the backend packs full token-budget batches as it does
for `framing batch`. Records are built in the same thread (the article-context stage runs per
document there), so the event loop only awaits a future. Repeated sentences inside one merged
batch are scored once; nothing is cached across batches (a response never depends on what other
clients sent earlier).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field

from ..pipeline import Prepared, SentenceCache, chunk_outputs, score_sentences
from ..records import document_record, error_record, head_of
from .errors import ApiError


@dataclass
class Job:
    prepared: list[Prepared]
    sentences: int
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    enqueued: float = field(default_factory=time.monotonic)


class BatchQueue:
    def __init__(self, clf, batch_sentences: int = 1024, batch_wait_ms: float = 5.0,
                 max_queued_sentences: int = 50_000):
        self.clf = clf
        self.batch_sentences, self.batch_wait_s = batch_sentences, batch_wait_ms / 1000
        self.max_queued_sentences = max_queued_sentences
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self.queued_sentences = 0
        # what /healthz reports: requests and model calls so far (requests > calls = merging happened)
        self.requests = self.calls = 0
        self._thread = threading.Thread(target=self._run, name="framing-batcher", daemon=True)
        self._thread.start()

    async def score(self, prepared: list[Prepared]) -> list[dict]:
        """Records (document or error) for the prepared documents, in their order."""
        n = sum(1 for p in prepared for s in p.sentences if s.skipped is None)
        with self._lock:
            if self.queued_sentences + n > self.max_queued_sentences:
                raise ApiError(503, "busy", f"the server has {self.queued_sentences} sentences queued "
                               f"(max_queued_sentences={self.max_queued_sentences}); retry later",
                               limit="max_queued_sentences", max=self.max_queued_sentences)
            self.queued_sentences += n
        loop = asyncio.get_running_loop()
        job = Job(prepared, n, loop.create_future(), loop)
        self._jobs.put(job)
        return await job.future

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    # -- the worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            batch, size, stop = [job], job.sentences, False
            deadline = job.enqueued + self.batch_wait_s
            while size < self.batch_sentences:
                try:
                    wait = deadline - time.monotonic()
                    nxt = self._jobs.get(timeout=wait) if wait > 0 else self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
                size += nxt.sentences
            self._score(batch)
            if stop:
                return

    def _score(self, batch: list[Job]) -> None:
        live = [job for job in batch if not job.future.cancelled()]  # a timed-out request is not scored
        results: list[list[dict]] = []
        try:
            if live:
                docs = [p for job in live for p in job.prepared if p.error is None]
                known = score_sentences(self.clf, docs, SentenceCache())
                results = [[self._record(p, known) for p in job.prepared] for job in live]
            with self._lock:
                self.requests += len(live)
                self.calls += 1 if live else 0
        except Exception as exc:  # every waiting request hears about it; the thread lives on
            for job in live:
                job.loop.call_soon_threadsafe(_settle, job.future, None, exc)
        else:
            for job, records in zip(live, results):
                job.loop.call_soon_threadsafe(_settle, job.future, records, None)
        finally:
            with self._lock:
                self.queued_sentences -= sum(job.sentences for job in batch)

    def _record(self, p: Prepared, known: dict) -> dict:
        if p.error is not None:
            return error_record(head_of(p.item), p.error)
        return document_record(head_of(p.item), self.clf.sentence_records(p.item.id, p.sentences,
                                                                         *chunk_outputs(self.clf, p, known)))


def _settle(future: asyncio.Future, result, exc) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
