"""Token-level span targets for the auxiliary span loss."""

from __future__ import annotations

import numpy as np

from framing.corpora import Document, Span
from framing.token_spans import sentence_spans, span_columns, token_targets, whole_text_spans

OUTPUTS = ["loaded-language", "doubt", "anti-hegemony", "any-technique"]


def test_span_columns_are_techniques_and_the_any_output():
    assert span_columns(OUTPUTS).tolist() == [True, True, False, True]


def test_sentence_spans_are_clipped_to_the_row_and_in_its_own_characters():
    text = "First sentence here. Second one is a total disgrace. Third."
    doc = Document("ptc", "42", text, [Span(10, 30, "loaded-language"), Span(37, 52, "doubt"),
                                       Span(53, 59, "doubt")])
    rows = {"source": ["ptc", "ptc", "memes"], "doc_id": ["42", "42", "42"],
            "start": [0, 21, 0], "end": [20, 52, 10]}
    spans = sentence_spans(rows, [doc], OUTPUTS)
    assert spans[0] == [(10, 20, 0)]  # the first span runs past the row's end
    assert spans[1] == [(0, 9, 0), (16, 31, 1)]  # the third span starts after this row
    assert text[21:52][16:31] == text[37:52] == "total disgrace."
    assert spans[2] is None  # another source: no span annotation at all


def test_sentence_spans_of_an_article_without_spans_are_empty_not_missing():
    doc = Document("ptc", "7", "Nothing to see.", [])
    assert sentence_spans({"source": ["ptc"], "doc_id": ["7"], "start": [0], "end": [15]}, [doc], OUTPUTS) == [[]]


def test_whole_text_spans_cover_a_fragment_end_to_end():
    y = np.array([[True, False, False, False], [True, True, False, False]])
    assert whole_text_spans(["evil", "so-called"], y) == [[(0, 4, 0)], [(0, 9, 0), (0, 9, 1)]]


def test_token_targets_mark_covered_tokens_and_skip_special_ones():
    columns = span_columns(OUTPUTS).astype(np.float32)
    offsets = [(0, 0), (0, 4), (5, 10), (11, 16), (0, 0)]  # [CLS] word word word [SEP]
    target, mask = token_targets(offsets, [(6, 16, 1)], columns, any_column=3)
    assert target[:, 1].tolist() == [0, 0, 1, 1, 0]
    assert target[:, 3].tolist() == [0, 0, 1, 1, 0]  # covered by some technique
    assert target[:, 0].sum() == 0  # a technique with no span here is a negative ...
    assert mask[1].tolist() == [1, 1, 0, 1]  # ... while frames carry no token loss
    assert mask[0].sum() == mask[4].sum() == 0
    target, mask = token_targets(offsets, None, columns, any_column=3)
    assert mask.sum() == 0 and target.sum() == 0


def test_train_spans_agree_with_the_sentence_labels(data_dir):
    """On PTC train, every technique a sentence is labeled with has a span of it in the
    sentence's token targets; fragment rows carry their own labels end to end."""
    from framing.dataset import load_dataset_dict
    from framing.evaluate import aligned_targets
    from framing.training import add_fragments, ptc_train_docs, train_spans, trainable_labels, with_any_head

    dd = load_dataset_dict(data_dir)
    rows = dd["train"].select(range(600))[:]
    labels = trainable_labels(dd["train"])
    y, m = aligned_targets(rows, labels)
    y, m, outputs = with_any_head(labels, y, m)
    docs = ptc_train_docs(data_dir)
    texts, y, m, n = add_fragments(list(rows["text"]), y, m, outputs, docs, limit=50)
    spans = train_spans(rows, texts, y, outputs, docs, n)
    assert len(spans) == len(texts) == 650
    checked = 0
    for text, row_y, row_spans, source in zip(texts, y, spans, list(rows["source"]) + ["fragment"] * n):
        if source not in ("ptc", "fragment"):
            assert row_spans is None
            continue
        covered = {j for _, _, j in row_spans}
        labeled = {j for j in np.flatnonzero(row_y[: len(labels)]) if span_columns(outputs)[j]}
        assert labeled <= covered
        assert all(0 <= s < e <= len(text) for s, e, _ in row_spans)
        checked += bool(labeled)
    assert checked > 100
