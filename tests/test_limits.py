"""The memory caps of `framing batch` are enforced (values documented in README, `limits.py`)."""

from __future__ import annotations

import json

import numpy as np

import framing.batch as batch
import framing.limits as limits
from framing.batch import BatchScorer
from framing.inference import Classifier
from framing.pipeline import SentenceCache
from framing.readers import FeedItem


def test_sentence_cache_is_bounded_by_characters_and_skips_long_sentences():
    cache = SentenceCache(max_chars=100, max_sentence_chars=30)
    row = np.zeros(3, dtype=np.float32)
    for i in range(20):
        cache.put(f"sentence number {i:03d}", row)  # 19 characters each
    assert cache.chars <= 100 and len(cache.data) == 5
    assert cache.get("sentence number 019") is not None and cache.get("sentence number 000") is None
    cache.put("x" * 31, row)
    assert cache.get("x" * 31) is None


class CountingAppender(batch.DurableAppender):
    chunks = records = 0

    def append(self, payload, n_records):
        super().append(payload, n_records)
        type(self).chunks += 1
        type(self).records += n_records


def test_chunks_are_cut_by_characters_and_read_ahead_by_bytes(toy_baseline_dir, tmp_path, monkeypatch):
    clf = Classifier.load(toy_baseline_dir)
    CountingAppender.chunks = CountingAppender.records = 0
    monkeypatch.setattr(batch, "DurableAppender", CountingAppender)
    monkeypatch.setattr(limits, "MAX_CHUNK_CHARS", 200)  # about 4 of the articles below
    monkeypatch.setattr(limits, "MAX_INFLIGHT_BYTES", 120)  # about 2 of them
    ahead = []

    def items(n: int):
        for i in range(n):
            ahead.append(i - CountingAppender.records)  # read but not yet written
            yield FeedItem(id=f"i{i}", source="t", text=f"Article {i}. The corrupt elite lied again and again {i}.")

    # without the caps, 64-article chunks and 2 x 64 items of read-ahead would take all 40 at once
    summary = BatchScorer(clf, chunk_articles=64, workers=2).run(items(40), tmp_path / "out.jsonl", progress=False)
    assert summary.scored == 40
    assert CountingAppender.chunks >= 8
    assert max(ahead) <= 8
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"i{i}" for i in range(40)]
