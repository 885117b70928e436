"""The micro-batching queue merges concurrent requests into one model call, and under many
clients at once every answer is correct and belongs to its own request."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from framing.pipeline import prepare
from framing.readers import FeedItem
from framing.serve.app import create_app
from framing.serve.batching import BatchQueue
from framing.serve.limits import ServeLimits
from tests.serve_support import LiveServer, response_validator

httpx = pytest.importorskip("httpx")


class Gate:
    """A classifier stand-in whose first model call blocks until released, recording every call."""

    labels = outputs = ["a"]

    def __init__(self):
        self.calls: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()

    def predict_sentences(self, texts, spans=True):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.entered.set()
            self.release.wait(30)
        return np.full((len(texts), 1), 0.9, np.float32), [[] for _ in texts]

    def document_outputs(self, sentences, outputs):
        return outputs

    def sentence_records(self, doc_id, sentences, outputs, spans):
        return [{"doc": doc_id, "text": s.text, "score": float(row[0])} for s, row in zip(sentences, outputs)]


def prepared(doc_id: str, text: str):
    return [prepare(FeedItem(id=doc_id, source="<test>", text=text))]


def test_requests_waiting_behind_a_model_call_are_merged_into_the_next():
    gate = Gate()
    batcher = BatchQueue(gate, batch_sentences=1_000, batch_wait_ms=1.0)

    async def main():
        first = asyncio.ensure_future(batcher.score(prepared("first", "Sentence zero.")))
        await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 30)
        rest = [asyncio.ensure_future(batcher.score(prepared(f"d{k}", f"Sentence number {k}. Another one {k}.")))
                for k in range(9)]
        await asyncio.sleep(0.05)  # all nine are queued while the first call runs
        gate.release.set()
        return await first, await asyncio.gather(*rest)

    first, rest = asyncio.run(main())
    batcher.close()
    assert gate.calls[0] == ["Sentence zero."]
    assert len(gate.calls) == 2 and len(gate.calls[1]) == 18  # the nine requests: one call
    for k, records in enumerate(rest):
        [doc] = records
        assert doc["id"] == f"d{k}" and [s["text"] for s in doc["sentences"]] == [f"Sentence number {k}.",
                                                                                  f"Another one {k}."]
    assert batcher.requests == 10 and batcher.calls == 2 and batcher.queued_sentences == 0


def test_a_batch_stops_at_its_sentence_budget():
    gate = Gate()
    batcher = BatchQueue(gate, batch_sentences=4, batch_wait_ms=1.0)

    async def main():
        first = asyncio.ensure_future(batcher.score(prepared("first", "Zero.")))
        await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 30)
        rest = [asyncio.ensure_future(batcher.score(prepared(f"d{k}", f"One {k}. Two {k}."))) for k in range(4)]
        await asyncio.sleep(0.05)
        gate.release.set()
        await first
        return await asyncio.gather(*rest)

    asyncio.run(main())
    batcher.close()
    assert [len(c) for c in gate.calls] == [1, 4, 4]


@pytest.fixture(scope="module")
def clf(tiny_span_dir):
    from framing.inference import Classifier

    return Classifier.load(tiny_span_dir, device="cpu")


def test_many_concurrent_clients_each_get_their_own_correct_answer(clf):
    server = LiveServer(create_app(clf, ServeLimits(batch_wait_ms=20))).start()
    words = "the committee met on tuesday to discuss the budget and officials said the bridge would reopen".split()
    requests = []
    for k in range(64):  # distinct documents: each answer can only match its own request
        sentences = [" ".join(words[(k + j) % len(words):] + words[:(k + j) % len(words)][:3]).capitalize() + "."
                     for j in range(1 + k % 4)]
        requests.append({"documents": [{"id": f"req{k}-doc{d}", "text": " ".join(sentences[d:]) or sentences[0]}
                                       for d in range(1 + k % 3)]})
    expected = {}
    for body in requests:
        for doc in body["documents"]:
            [record] = clf.score_documents([(doc["id"], doc["text"])])
            expected[doc["id"]] = record

    async def client(queue_, results):
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
            while queue_:
                k = queue_.pop()
                results[k] = await http.post("/v1/score", json=requests[k])

    async def main():
        pending, results = list(range(len(requests))), {}
        await asyncio.gather(*(client(pending, results) for _ in range(32)))
        return results

    try:
        results = asyncio.run(main())
        health = httpx.get(f"{server.url}/healthz").json()
    finally:
        server.stop()
    check = response_validator()
    for k, body in enumerate(requests):
        resp = results[k]
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        check(answer)
        assert [d["id"] for d in answer["documents"]] == [d["id"] for d in body["documents"]]
        for doc, sent in zip(answer["documents"], body["documents"]):
            want = expected[doc["id"]]
            assert [(s["start"], s["end"], s["text"]) for s in doc["sentences"]] == \
                [(s["start"], s["end"], s["text"]) for s in want["sentences"]]
            assert all(sent["text"][s["start"]:s["end"]] == s["text"] for s in doc["sentences"])
            for got, ref in zip(doc["sentences"], want["sentences"]):
                # batch composition changes padding, so bf16 scores may move in the last digits
                assert max(abs(got["scores"][x] - ref["scores"][x]) for x in ref["scores"]) < 0.02
    assert health["requests_scored"] == len(requests)
    assert health["model_calls"] < len(requests)  # concurrent requests shared model calls
