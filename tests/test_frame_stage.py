"""The article frame stage: its features, its fit, saved and checked with the model, and applied
per document by every scoring path."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from framing.context import logit
from framing.errors import ModelLoadError
from framing.frame_training import compare, fit_stage
from framing.inference import Classifier
from framing.models.frame_stage import FEATURES, FILE, FrameStage, article_features

ARTICLE = "They lied to us again. The committee met on Tuesday. Why should anyone believe them?"


def test_article_features_of_one_sentence_and_of_an_article():
    one = article_features(np.array([0.8]))
    z = logit(np.array([0.8]))[0]
    np.testing.assert_allclose(one[0], [z, z, z, z, 0.0, 0.0], rtol=1e-5)
    p = np.array([0.1, 0.9, 0.5, 0.2])
    f = article_features(p)
    zs = logit(p)
    np.testing.assert_allclose(f[:, 0], zs, rtol=1e-5)
    np.testing.assert_allclose(f[:, 1], zs.max(), rtol=1e-5)
    np.testing.assert_allclose(f[:, 2], logit(np.array([p.mean()]))[0], rtol=1e-5)
    np.testing.assert_allclose(f[:, 3], np.sort(zs)[-3:].mean(), rtol=1e-5)
    np.testing.assert_allclose(f[:, 4], np.log(4), rtol=1e-5)
    np.testing.assert_allclose(f[:, 5], [0, 0.25, 0.5, 0.75])
    assert article_features(np.zeros(0)).shape == (0, len(FEATURES))


def test_the_stage_re_scores_its_columns_only():
    identity = FrameStage(["x"], [[1, 0, 0, 0, 0, 0]], [0.0])
    outputs = np.array([[0.2, 0.7], [0.6, 0.01]], dtype=np.float32)
    np.testing.assert_allclose(identity.apply(outputs, [1]), outputs, atol=1e-4)
    by_article = FrameStage(["x"], [[0, 1, 0, 0, 0, 0]], [0.0])  # every sentence gets the article maximum
    np.testing.assert_allclose(by_article.apply(outputs, [1])[:, 1], [0.7, 0.7], atol=1e-4)
    np.testing.assert_array_equal(by_article.apply(outputs, [1])[:, 0], outputs[:, 0])


def _pool(seed: int, n_docs: int = 120):
    """Articles with the frame have several sentences carrying it; articles without it have a
    sentence or two that only look like it (the false alarms of unfamiliar outlets): a
    sentence's own score cannot tell those apart, its article's scores can."""
    rng = np.random.default_rng(seed)
    xs, ys, groups, cross = [], [], [], []
    for d in range(n_docs):
        carries = rng.random() < 0.4
        n = int(rng.integers(6, 12))
        y = (rng.random(n) < 0.6) & carries
        p = np.where(y, 0.45 + 0.35 * rng.random(n), 0.05 + 0.25 * rng.random(n))
        if not carries:  # one look-alike sentence per article without the frame
            p[int(rng.integers(n))] = 0.45 + 0.35 * rng.random()
        xs.append(article_features(p))
        ys.append(y)
        groups += [d] * n
        cross += [d % 2 == 0] * n
    x = np.concatenate(xs)[:, None, :]
    y = np.concatenate(ys)[:, None]
    return {"frames": ["discrediting-the-west"], "columns": [0], "x": x, "y": y, "mask": np.ones_like(y, bool),
            "groups": np.array(groups), "cross_source": np.array(cross),
            "source": np.where(np.array(cross), "semeval2025", "euvsdisinfo")}


def test_cross_validation_picks_the_stage_where_the_article_tells():
    pool = _pool(0)
    row = compare(pool)["discrediting-the-west"]
    assert row["with_article"]["all"] > row["sentence"]["all"] + 0.05
    assert row["re_scored"]
    stage, thresholds = fit_stage(pool, ["discrediting-the-west"])
    assert 0 < thresholds["discrediting-the-west"] < 1
    # on articles it has not seen, the fitted stage at its threshold beats the sentence score at its best one
    from framing.metrics import best_threshold, prf

    fresh = _pool(1)
    x, y = fresh["x"][:, 0], fresh["y"][:, 0]
    t_sentence = best_threshold(pool["y"][:, 0], pool["x"][:, 0, 0])

    def f1(pred):
        return prf((pred & y).sum(), (pred & ~y).sum(), (~pred & y).sum())[2]

    assert f1(stage.proba(0, x) >= thresholds["discrediting-the-west"]) > f1(x[:, 0] >= t_sentence) + 0.05


def _with_stage(tiny_transformer_dir, out, stage: FrameStage):
    shutil.copytree(tiny_transformer_dir, out)
    manifest = json.loads((out / "framing.json").read_text())
    manifest["frame_stage"] = stage.save(out / FILE)
    (out / "framing.json").write_text(json.dumps(manifest, indent=2))


def test_a_saved_stage_is_applied_per_document_by_score_documents(tiny_transformer_dir, tmp_path):
    stage = FrameStage(["doubt"], [[0.5, 1.0, 0.0, 0.0, 0.3, -0.2]], [0.1])
    _with_stage(tiny_transformer_dir, tmp_path / "m", stage)
    plain = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32")
    clf = Classifier.load(tmp_path / "m", device="cpu", precision="fp32")
    assert clf.frame_stage is not None and clf.frame_stage.labels == ["doubt"]
    scored = [s for s in clf.score_documents([("d", ARTICLE)])[0]["sentences"] if s["skipped"] is None]
    assert len(scored) == 3
    col = plain.outputs.index("doubt")
    expected = stage.apply(plain.predict_outputs([s["text"] for s in scored]), [col])[:, col]
    np.testing.assert_allclose([s["scores"]["doubt"] for s in scored], expected, atol=1e-3)


def test_a_damaged_or_foreign_stage_is_refused(tiny_transformer_dir, tmp_path):
    _with_stage(tiny_transformer_dir, tmp_path / "m", FrameStage(["doubt"], [[1, 0, 0, 0, 0, 0]], [0.0]))
    path = tmp_path / "m" / FILE
    path.write_text(path.read_text().replace('"doubt"', '"flag-waving"'))
    with pytest.raises(ModelLoadError, match="does not match its sha256"):
        Classifier.load(tmp_path / "m", device="cpu")
    from framing.span_head import file_sha256

    manifest = json.loads((tmp_path / "m" / "framing.json").read_text())
    manifest["frame_stage"]["sha256"] = file_sha256(path)  # consistent hash, label the model lacks
    (tmp_path / "m" / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="labels the model lacks"):
        Classifier.load(tmp_path / "m", device="cpu")
    spec = json.loads(path.read_text().replace('"flag-waving"', '"doubt"'))
    spec["features"] = spec["features"][:5]
    path.write_text(json.dumps(spec))
    manifest["frame_stage"]["sha256"] = file_sha256(path)
    (tmp_path / "m" / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="damaged"):
        Classifier.load(tmp_path / "m", device="cpu")


def test_batch_and_evaluate_apply_the_stage_as_score_does(tiny_transformer_dir, tmp_path):
    from framing.batch import run_batch
    from framing.evaluate import in_context

    stage = FrameStage(["doubt"], [[0.5, 1.0, 0.0, 0.0, 0.3, -0.2]], [0.1])
    _with_stage(tiny_transformer_dir, tmp_path / "m", stage)
    clf = Classifier.load(tmp_path / "m", device="cpu", precision="fp32")
    doc = tmp_path / "article.txt"
    doc.write_text(ARTICLE)
    scored = [s for s in clf.score_documents([("d", ARTICLE)])[0]["sentences"] if s["skipped"] is None]
    run_batch([doc], tmp_path / "out.jsonl", clf, progress=False)
    record = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    batch = [s["scores"]["doubt"] for s in record["sentences"] if s["skipped"] is None]
    assert batch == [s["scores"]["doubt"] for s in scored]
    # evaluation groups a document's rows and applies the stage to them together
    texts = [s["text"] for s in scored]
    rows = {"source": ["frames:seeds"] * 3, "doc_id": ["d"] * 3, "start": [s["start"] for s in scored],
            "unit": ["sentence"] * 3, "text": texts}
    got = in_context(clf, rows, texts, np.arange(3), clf.predict_outputs(texts))[:, clf.outputs.index("doubt")]
    np.testing.assert_allclose(got, [s["scores"]["doubt"] for s in scored], atol=1e-3)


def test_the_pool_reads_every_semeval2025_row_inside_its_document(data_dir):
    """On the corpora: the stage's training rows are the SemEval-2025 train and dev rows (scored in
    their whole documents) and the other sources' dev rows, never a test row."""
    from pathlib import Path

    from framing.dataset import load_dataset_dict
    from framing.evaluate import CROSS_SOURCE
    from framing.frame_training import frame_pool

    shipped = Path(__file__).resolve().parents[1] / "models" / "transformer"
    clf = Classifier.load(shipped, device="cpu", spans=False)
    pool = frame_pool(clf, data_dir)
    dd = load_dataset_dict(data_dir)
    cross = sum(s == CROSS_SOURCE for split in ("train", "dev") for s in dd[split]["source"])
    others = sum(s.startswith("frames:") and s != CROSS_SOURCE for s in dd["dev"]["source"])
    assert int(pool["cross_source"].sum()) == cross and len(pool["y"]) == cross + others
    assert pool["frames"] == ["anti-hegemony", "discrediting-the-west", "praise-of-partnership"]
    assert np.isfinite(pool["x"]).all() and pool["x"].shape[1:] == (3, len(FEATURES))
    dw = pool["frames"].index("discrediting-the-west")
    assert pool["y"][pool["cross_source"], dw].sum() > 100  # the SemEval-2025 positives are there
    # a row's own score is one of its document's scores: never above the document's maximum
    assert (pool["x"][:, :, 0] <= pool["x"][:, :, 1] + 1e-5).all()
