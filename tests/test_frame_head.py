"""The frame head refit: its per-frame regression, and the saved folder whose frame rows change
while every technique output stays exactly as it was."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framing.frame_head import _write, fit_frame_rows, frame_columns, pooled_features
from framing.inference import Classifier

LABELS = ["loaded-language", "doubt", "discrediting-the-west"]
TEXTS = ["The corrupt West lies again about everything.", "Is this really an independent inquiry?",
         "The committee met on Tuesday.", "Western hypocrisy knows no limits.", "Rainfall was above average."]


def test_fit_frame_rows_folds_the_standardisation_into_the_weights():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(loc=3.0, scale=[0.5, 2.0, 5.0], size=(400, 3)).astype(np.float32)
    y = np.c_[x[:, 0] + 0.3 * x[:, 1] > 3.9, x[:, 2] < 1.0]
    mask = np.ones_like(y, bool)
    mask[:100, 1] = False  # a column fitted only on its annotated rows
    w, b = fit_frame_rows(x, y, mask, c=1.0)
    for j in range(2):
        rows = mask[:, j]
        mean, scale = x[rows].mean(axis=0), x[rows].std(axis=0)
        ref = LogisticRegression(C=1.0, max_iter=5000).fit((x[rows] - mean) / scale, y[rows, j])
        expected = ref.decision_function((x - mean) / scale)
        np.testing.assert_allclose(x @ w[j] + b[j], expected, rtol=1e-3, atol=1e-3)
    acc = ((x @ w[0] + b[0] > 0) == y[:, 0]).mean()
    assert acc > 0.95


def test_fit_frame_rows_refuses_a_column_without_positives():
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="positives and negatives"):
        fit_frame_rows(x, np.zeros((10, 1), bool), np.ones((10, 1), bool), c=1.0)


@pytest.fixture(scope="module")
def framed_dir(tiny_base, tmp_path_factory):
    """A tiny transformer with one frame output, saved in the shipped format."""
    from framing.manifest import make_manifest, write_manifest
    from framing.model_card import write_model_card
    from framing.models.transformer import Trainer, TransformerSettings

    outputs = LABELS + ["any-technique"]
    y = np.array([[1, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]] * 4, bool)
    trainer = Trainer(outputs, TransformerSettings(base=str(tiny_base), max_steps=2, batch_size=8, max_length=32,
                                                   device="cpu")).build()
    info = trainer.fit(TEXTS * 4, y, np.ones_like(y))
    out = tmp_path_factory.mktemp("framed") / "model"
    out.mkdir()
    trainer.save(out)
    write_manifest(out, make_manifest("transformer", LABELS, dict.fromkeys(LABELS, 0.5), data_fingerprint="toy",
                                      settings=trainer.settings_dict(), outputs=outputs, max_length=32,
                                      any_technique={"mode": "dedicated", "threshold": 0.5}, training=info))
    write_model_card(out)
    return out


def test_written_folder_changes_the_frame_rows_only(framed_dir, tmp_path):
    before = Classifier.load(framed_dir, device="cpu", precision="fp32")
    cols = frame_columns(before.outputs)
    assert [before.outputs[j] for j in cols] == ["discrediting-the-west"]
    width = before.backend.model.config.hidden_size
    w = np.random.default_rng(1).normal(size=(1, width)).astype(np.float32)
    b = np.array([0.25], np.float32)
    out = tmp_path / "refit"
    _write(framed_dir, out, cols, w, b, {"discrediting-the-west": 0.4}, {"chosen": "refit C=0.1", "c": 0.1},
           {split: {"source": "ptc", "micro_f1": 0.5, "macro_f1": 0.4, "any_technique_f1": 0.6, "sets": {}}
            for split in ("dev", "test")})
    after = Classifier.load(out, device="cpu", precision="fp32")
    old, new = before.predict_outputs(TEXTS), after.predict_outputs(TEXTS)
    others = [j for j in range(len(before.outputs)) if j not in cols]
    np.testing.assert_array_equal(new[:, others], old[:, others])  # techniques and any-technique: the same bits
    pooled = pooled_features(after.backend, TEXTS)
    from framing.frame_head import _stored_dtype

    w16, b16 = (a.astype(_stored_dtype(out)).astype(np.float32) for a in (w, b))  # as the file holds them
    np.testing.assert_allclose(new[:, cols[0]], 1 / (1 + np.exp(-(pooled @ w16[0] + b16[0]))), atol=1e-5)
    assert not np.allclose(new[:, cols[0]], old[:, cols[0]])
    manifest = json.loads((out / "framing.json").read_text())
    assert manifest["thresholds"]["discrediting-the-west"] == pytest.approx(0.4)
    assert manifest["thresholds"]["doubt"] == pytest.approx(0.5)
    assert manifest["frame_head"]["chosen"] == "refit C=0.1"
    # still a plain transformers folder
    from transformers import pipeline

    pipe = pipeline("text-classification", model=str(out), top_k=None)
    assert len(pipe(TEXTS[0])[0]) == len(before.outputs)


def test_cli_refuses_a_baseline_in_one_line(toy_baseline_dir, tmp_path):
    from typer.testing import CliRunner

    from framing.cli import app

    result = CliRunner().invoke(app, ["frames", "head", str(toy_baseline_dir), "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    message = result.output.strip().splitlines()
    assert len(message) == 1 and "baseline" in message[0]
    assert not (tmp_path / "x").exists()
