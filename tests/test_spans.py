"""Spans in every output: exact offsets on any text, never across sentences or skipped lines,
the saved head round-trips and is checked on load, and a model without a head still scores."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import ModelLoadError
from framing.inference import Classifier
from framing.segment import segment
from framing.span_decode import decode, runs
from framing.textio import clean_text

runner = CliRunner()
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)
HOSTILE = ("Die korrupte Elite lügt! 🇷🇺 Ça va?\n\nLeave a Reply\n"
           "They are traitors, traitors, TRAITORS.\u2028Wer glaubt das noch?\ttab\x00nul")


def test_runs_bridge_small_gaps():
    on = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    assert runs(on, 0) == [(0, 1), (3, 3), (6, 6)]
    assert runs(on, 1) == [(0, 3), (6, 6)]
    assert runs(on, 2) == [(0, 6)]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(ANY_TEXT, st.integers(0, 3), st.randoms(use_true_random=False))
def test_decoded_spans_lie_inside_the_text_on_word_bounds(text, gap, rnd):
    # tokens: the text's non-space runs, as a tokenizer's offsets would cover them
    offsets = np.array([(m.start(), m.end()) for m in re.finditer(r"\S+", text)], dtype=np.int64)
    offsets = offsets.reshape(-1, 2)
    probs = np.array([[rnd.random()] for _ in range(len(offsets))], dtype=np.float32).reshape(-1, 1)
    for start, end, label, score in decode(text, offsets, probs, ["x"], np.array([0.5]), {"max_gap": gap}):
        assert 0 <= start < end <= len(text) and label == "x" and 0.0 <= score <= 1.0
        piece = text[start:end]
        assert piece == piece.strip() and len(piece) >= 2
        assert not (start > 0 and text[start - 1].isalnum() and text[start].isalnum())  # never inside a word
        assert not (end < len(text) and text[end].isalnum() and text[end - 1].isalnum())


def check_spans(document: str, sentences: list[dict]) -> int:
    """Every span's text is the document's own characters, inside one scored sentence."""
    n = 0
    for s in sentences:
        if s["skipped"]:
            assert s["spans"] == []
        for span in s["spans"]:
            assert span["text"] == document[span["start"]:span["end"]]
            assert s["start"] <= span["start"] < span["end"] <= s["end"]
            n += 1
    return n


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
def test_spans_are_exact_on_arbitrary_unicode(tiny_span_dir, text):
    clf = Classifier.load(tiny_span_dir, device="cpu")
    [doc] = clf.score_documents([("d", text)])
    check_spans(clean_text(text), doc["sentences"])


def test_spans_on_hostile_text_and_skipped_lines(tiny_span_dir):
    clf = Classifier.load(tiny_span_dir, device="cpu")
    [doc] = clf.score_documents([("d", HOSTILE)])
    assert check_spans(clean_text(HOSTILE), doc["sentences"]) > 0  # the random head marks some words
    assert any(s["skipped"] for s in doc["sentences"])
    spans = clf.document_spans(HOSTILE)
    assert spans == [sp for s in doc["sentences"] for sp in s["spans"]]
    ranked = clf.classify_spans(HOSTILE, [(0, 10), (25, 40)])
    assert [sorted(r) for r in ranked] == [sorted(clf.labels)] * 2


def test_the_saved_head_round_trips_and_is_checked(tiny_span_dir, tmp_path):
    import shutil

    clf = Classifier.load(tiny_span_dir, device="cpu", precision="fp32")
    assert clf.has_spans
    again = Classifier.load(tiny_span_dir, device="cpu", precision="fp32")
    texts = ["They are traitors and liars.", "The committee met on Tuesday."]
    assert clf.predict_sentences(texts)[1] == again.predict_sentences(texts)[1]
    copy = tmp_path / "m"
    shutil.copytree(tiny_span_dir, copy)
    data = bytearray((copy / "span_head.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (copy / "span_head.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the hash"):
        Classifier.load(copy, device="cpu")


def test_sentence_scores_are_the_same_with_and_without_the_head(tiny_span_dir, tiny_transformer_dir):
    texts = ["They are traitors and liars.", "The committee met on Tuesday.", "Why should anyone believe them?"]
    with_head = Classifier.load(tiny_span_dir, device="cpu", precision="fp32").predict_outputs(texts)
    without = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32").predict_outputs(texts)
    assert np.allclose(with_head, without, atol=1e-6)


def test_a_model_without_a_head_scores_without_spans_and_says_so_once(tiny_transformer_dir, tmp_path, capsys):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(tiny_transformer_dir, copy)  # a folder never seen before in this process
    clf = Classifier.load(copy, device="cpu")
    Classifier.load(copy, device="cpu")
    assert capsys.readouterr().err.count("has no span head") == 1
    [doc] = clf.score_documents([("d", "They are traitors. They lie.")])
    assert all(s["spans"] == [] for s in doc["sentences"]) and not clf.has_spans


def test_score_outputs_carry_spans_in_every_format(tiny_span_dir, tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text(HOSTILE, encoding="utf-8")
    text = clean_text(doc.read_text(encoding="utf-8"))
    lines = runner.invoke(app, ["score", str(doc), "--format", "jsonl", "--model", str(tiny_span_dir)]).stdout
    records = [json.loads(line) for line in lines.splitlines()]
    assert all("spans" in r for r in records) and check_spans(text, records) > 0
    table = runner.invoke(app, ["score", str(doc), "--model", str(tiny_span_dir)]).stdout
    assert "[" in table and "]" in table
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["batch", str(doc), "--out", str(out), "--model", str(tiny_span_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    [article] = [json.loads(line) for line in out.read_text().splitlines()]
    n = check_spans(text, article["sentences"])
    assert sum(article["span_counts"].values()) == n > 0


def test_report_marks_spans(tiny_span_dir, tmp_path):
    from framing.report import articles_report

    doc = tmp_path / "a.txt"
    doc.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["batch", str(doc), "--out", str(out), "--model", str(tiny_span_dir), "--quiet"])
    html = articles_report(out)
    assert "<mark class=span" in html and "box-shadow" in html


def test_sentences_of_segment_bound_every_span(tiny_span_dir):
    clf = Classifier.load(tiny_span_dir, device="cpu")
    text = clean_text(HOSTILE)
    bounds = [(s.start, s.end) for s in segment(text) if s.skipped is None]
    for span in clf.document_spans(HOSTILE):
        assert any(a <= span["start"] and span["end"] <= b for a, b in bounds)


@pytest.mark.ray
def test_ray_engine_gives_the_local_spans(tiny_span_dir, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'framing[ray]')")
    from framing.batch import run_batch
    from framing.ray_engine import run_ray_batch

    feed = tmp_path / "feed.jsonl"
    with open(feed, "w", encoding="utf-8") as f:
        for i in range(6):
            f.write(json.dumps({"id": f"a{i}", "text": f"{HOSTILE} Article {i} says they lie."}) + "\n")
    run_batch([feed], tmp_path / "local.jsonl", Classifier.load(tiny_span_dir, device="cpu"), progress=False)
    local = {r["id"]: r for r in map(json.loads, (tmp_path / "local.jsonl").read_text().splitlines())}
    try:
        run_ray_batch([feed], tmp_path / "ray-out", str(tiny_span_dir), device="cpu", progress=False)
    finally:
        ray.shutdown()
    remote = [json.loads(line) for shard in sorted((tmp_path / "ray-out").glob("part-*.jsonl"))
              for line in shard.read_text().splitlines()]
    assert {r["id"] for r in remote} == set(local)
    for rec in remote:
        assert [s["spans"] for s in rec["sentences"]] == [s["spans"] for s in local[rec["id"]]["sentences"]]
        assert rec["span_counts"] == local[rec["id"]]["span_counts"]


def test_si_gate_keeps_the_spans_of_sentences_the_sentence_model_flags(tiny_span_dir):
    """With `si_gate`, a sentence whose any-technique score is under the gate gives no SI span;
    the spans it keeps are those of the ungated decoding, unchanged."""
    from framing.inference import Classifier
    from framing.segment import segment

    text = ("The corrupt traitors in Washington are destroying everything we love! "
            "Officials said the bridge would reopen in March. Why should anyone believe these so-called experts now?")
    clf = Classifier.load(tiny_span_dir, device="cpu", precision="fp32")
    ungated = clf.document_spans(text, for_si=True)
    assert ungated, "the tiny head's thresholds let some tokens through"
    sentences = [s for s in segment(text) if s.skipped is None]
    scores = clf.predict_outputs([s.text for s in sentences])[:, clf.outputs.index("any-technique")]
    gate = float(np.median(scores))
    clf.backend.span_head.decoding["si_gate"] = gate
    gated = clf.document_spans(text, for_si=True)
    kept = [s for s in sentences if scores[sentences.index(s)] >= gate]
    expected = [sp for sp in ungated if any(s.start <= sp["start"] and sp["end"] <= s.end for s in kept)]
    assert gated == expected
    clf.backend.span_head.decoding["si_gate"] = 1.0
    assert clf.document_spans(text, for_si=True) == []


def test_with_neighbours_puts_each_tokens_neighbours_beside_it():
    import torch

    from framing.span_head import with_neighbours

    last = torch.arange(6, dtype=torch.float32).reshape(1, 3, 2)  # tokens (0, 1), (2, 3), (4, 5)
    out = with_neighbours(last, 1)
    assert out.shape == (1, 3, 6)
    assert out[0].tolist() == [[0, 0, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5], [2, 3, 4, 5, 0, 0]]
    assert with_neighbours(last, 0) is last


def _context_span_dir(tiny_span_dir, out):
    """The tiny span model with a head that also reads one neighbour either side."""
    import shutil

    import torch

    from framing.span_head import SpanHead, build_head, load_span_head

    shutil.copytree(tiny_span_dir, out)
    manifest = json.loads((out / "framing.json").read_text())
    old = load_span_head(out, manifest["span_head"], 32, manifest["labels"])
    torch.manual_seed(1)
    layers = [3 * 32, 8, len(old.outputs)]
    head = SpanHead(build_head(layers), old.outputs, old.thresholds, old.decoding, old.classifier, context=1)
    manifest["span_head"] = head.save(out, layers)
    (out / "framing.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def test_a_head_reading_neighbours_scores_a_sentence_alike_alone_and_in_a_batch(tiny_span_dir, tmp_path):
    manifest = _context_span_dir(tiny_span_dir, tmp_path / "m")
    assert manifest["span_head"]["context"] == 1
    clf = Classifier.load(tmp_path / "m", device="cpu", precision="fp32")
    assert clf.backend.span_head.context == 1
    short = "They are traitors and liars."
    alone = clf.backend.predict_outputs([short]).tokens[0].probs
    batched = clf.backend.predict_outputs(["A much longer sentence, with many more words in it than the other one has.",
                                           short]).tokens[1].probs
    np.testing.assert_allclose(alone, batched, atol=1e-5)
    for span in clf.document_spans(short):
        assert short[span["start"]:span["end"]] == span["text"]


def test_a_head_whose_layers_do_not_fit_its_context_is_refused(tiny_span_dir, tmp_path):
    manifest = _context_span_dir(tiny_span_dir, tmp_path / "m")
    manifest["span_head"]["context"] = 0
    (tmp_path / "m" / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="context 0"):
        Classifier.load(tmp_path / "m", device="cpu")


def test_input_dropout_trains_a_head_of_the_saved_shape_that_still_learns():
    """`framing spans train --dropout / --noise` regularise in training only: the head has the same
    parameters as without it (the saved format does not change), scores deterministically, and
    still learns the token targets."""
    from framing.span_training import fit_head, head_probs

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 16)).astype(np.float16)
    y = np.stack([x[:, :4].astype(np.float32).sum(axis=1) > 0, x[:, 4] > 1.0], axis=1).astype(np.uint8)
    plain = fit_head(x, y, [16, 8, 2], epochs=4, batch=64, lr=1e-2, seed=0, log=None)
    dropped = fit_head(x, y, [16, 8, 2], epochs=4, batch=64, lr=1e-2, seed=0, dropout=0.5, noise=0.5, log=None)
    assert {k: v.shape for k, v in plain.state_dict().items()} == {k: v.shape for k, v in dropped.state_dict().items()}
    probs = head_probs(dropped, x)
    assert np.array_equal(probs, head_probs(dropped, x))
    assert not np.allclose(probs, head_probs(plain, x))
    from sklearn.metrics import roc_auc_score

    for scores in (probs, head_probs(plain, x)):
        assert roc_auc_score(y[:, 0], scores[:, 0]) > 0.95


def test_spans_train_keep_classifier_retrains_the_head_and_keeps_tc(tiny_span_dir, tiny_transformer_dir, data_dir,
                                                                     tmp_path):
    """`framing spans train --keep-classifier` (PTC train and dev): a new head with its decoding
    tuned, the folder's span classifier kept to the bit (it never reads the head), so TC is
    unchanged; a folder without a classifier to keep is refused in one line before any work."""
    import shutil

    from safetensors.numpy import load_file

    model = tmp_path / "model"
    shutil.copytree(tiny_span_dir, model)
    before = load_file(str(model / "span_head.safetensors"))
    result = runner.invoke(app, ["spans", "train", str(model), "--data-dir", str(data_dir), "--epochs", "1",
                                 "--hidden", "8", "--dropout", "0.5", "--keep-classifier"])
    assert result.exit_code == 0, result.output
    after = load_file(str(model / "span_head.safetensors"))
    assert {k for k in before if k.startswith("tc.")} == {k for k in after if k.startswith("tc.")} != set()
    assert all(np.array_equal(before[k], after[k]) for k in before if k.startswith("tc."))
    assert any(not np.array_equal(before[k], after[k]) for k in before if not k.startswith("tc."))
    entry = json.loads((model / "framing.json").read_text())["span_head"]
    assert entry["training"]["tc_classifier"] == "kept from the previous span head"
    assert entry["training"]["input_dropout"] == 0.5 and "si_f1" in entry["metrics"]["dev"]
    clf = Classifier.load(model)
    text = "The corrupt traitors lied again. Why should anyone believe them?"
    assert clf.classify_spans(text, [(4, 21)]) == Classifier.load(tiny_span_dir).classify_spans(text, [(4, 21)])

    bare = tmp_path / "bare"
    shutil.copytree(tiny_transformer_dir, bare)
    refused = runner.invoke(app, ["spans", "train", str(bare), "--data-dir", str(data_dir), "--keep-classifier"])
    assert refused.exit_code != 0 and "no span classifier to keep" in refused.output
    assert not (bare / "span_head.safetensors").exists()
