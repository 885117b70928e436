"""The int8 export and backend: `framing export --precision int8` writes an ONNX file with its
framing.json entry (hash of the fp32 weights it came from), loading checks that hash, the int8
backend scores with spans from its own encoder states, and `--precision auto` picks int8 only
where it is exported and the CPU has native int8. Speed is measured in benchmarks/, not here."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import ModelLoadError
from framing.inference import Classifier
from framing.models import transformer_backend
from framing.models.transformer_backend import resolve_precision
from framing.span_head import file_sha256

pytest.importorskip("onnxruntime")

TEXTS = ["The corrupt traitors in Washington are destroying everything we love!",
         "The committee met on Tuesday to discuss the budget.",
         "Why should anyone believe these so-called experts now?"]


@pytest.fixture(scope="module")
def int8_dir(tiny_span_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "model"
    shutil.copytree(tiny_span_dir, out)
    result = CliRunner().invoke(app, ["export", str(out), "--precision", "int8"])
    assert result.exit_code == 0, result.output
    return out


def test_export_writes_the_file_and_its_manifest_entry(int8_dir):
    entry = json.loads((int8_dir / "framing.json").read_text())["int8"]
    assert entry["method"] == "weight-only" and entry["runtime"] == "onnxruntime"
    assert entry["sha256"] == file_sha256(int8_dir / entry["file"])
    assert entry["source"] == {"file": "model.safetensors", "sha256": file_sha256(int8_dir / "model.safetensors")}
    # the classifier head stays in fp32
    assert any("classifier" in name for name in entry["fp32_nodes"])


def test_int8_scores_like_fp32_with_spans_from_the_int8_encoder(int8_dir):
    fp32 = Classifier.load(int8_dir, device="cpu", precision="fp32")
    int8 = Classifier.load(int8_dir, device="cpu", precision="int8")
    assert int8.precision == "int8" and int8.model_info()["precision"] == "int8"
    assert int8.has_spans
    a, b = fp32.predict_outputs(TEXTS), int8.predict_outputs(TEXTS)
    assert a.shape == b.shape and np.abs(a - b).max() < 0.01
    prediction = int8.backend.predict_outputs(TEXTS, token_features=True)
    ref = fp32.backend.predict_outputs(TEXTS, token_features=True)
    for got, want in zip(prediction.tokens, ref.tokens):
        assert np.array_equal(got.offsets, want.offsets)
        assert got.features.shape == want.features.shape
        assert np.abs(got.probs - want.probs).max() < 0.01
    # the span classifier reads the int8 encoder's token features
    text = " ".join(TEXTS)
    assert len(int8.classify_spans(text, [(4, 11)])) == 1


def test_dynamic_export_with_fp32_embeddings_scores_close(int8_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(int8_dir, folder)
    from framing.export import export_int8

    entry = export_int8(folder, "dynamic", ("EmbedLayerNormalization",))
    assert json.loads((folder / "framing.json").read_text())["int8"] == entry
    assert entry["method"] == "dynamic" and any("EmbedLayerNormalization" in n for n in entry["fp32_nodes"])
    a = Classifier.load(folder, device="cpu", precision="fp32").predict_outputs(TEXTS)
    b = Classifier.load(folder, device="cpu", precision="int8").predict_outputs(TEXTS)
    assert np.abs(a - b).max() < 0.05


def test_an_int8_file_from_other_weights_is_refused_in_one_line(int8_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "model"
    shutil.copytree(int8_dir, folder)
    tensors = load_file(str(folder / "model.safetensors"))
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 0.01  # retrained weights: the int8 file no longer belongs to them
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match="exported from other weights"):
        Classifier.load(folder, device="cpu", precision="int8")
    doc = tmp_path / "doc.txt"
    doc.write_text(TEXTS[0])
    result = CliRunner().invoke(app, ["score", str(doc), "--model", str(folder), "--precision", "int8"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "exported from other weights" in lines[0] and "framing export --precision int8" in lines[0]


def test_a_changed_int8_file_is_refused(int8_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(int8_dir, folder)
    with open(folder / "model.int8.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="does not match its sha256"):
        Classifier.load(folder, device="cpu", precision="int8")


def test_auto_picks_int8_where_exported_and_the_cpu_has_int8(int8_dir, tiny_span_dir, monkeypatch):
    monkeypatch.setattr(transformer_backend, "cpu_has_int8", lambda: True)
    assert Classifier.load(int8_dir, device="cpu").precision == "int8"
    # not exported: the bf16 / fp32 choice as before
    assert Classifier.load(tiny_span_dir, device="cpu").precision in ("bf16", "fp32")
    monkeypatch.setattr(transformer_backend, "cpu_has_int8", lambda: False)
    assert Classifier.load(int8_dir, device="cpu").precision in ("bf16", "fp32")
    assert resolve_precision("auto", "cpu", int8_ready=False) in ("bf16", "fp32")


def test_int8_without_an_export_or_on_cuda_is_a_clear_error(tiny_span_dir):
    with pytest.raises(ModelLoadError, match="framing export --precision int8"):
        Classifier.load(tiny_span_dir, device="cpu", precision="int8")
    with pytest.raises(ModelLoadError, match="int8 inference is for CPU"):
        resolve_precision("int8", "cuda")


def test_every_output_says_which_precision_scored(int8_dir, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(" ".join(TEXTS))
    result = CliRunner().invoke(app, ["score", str(doc), "--model", str(int8_dir), "--precision", "int8",
                                      "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith("in int8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["batch", str(doc), "--out", str(out), "--model", str(int8_dir),
                                      "--precision", "int8", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stderr.strip().splitlines()[-1])
    assert summary["model"]["precision"] == "int8" and summary["summary"]["scored"] == 1


def test_bench_reports_int8_beside_the_other_precisions(int8_dir, data_dir):
    result = CliRunner().invoke(app, ["bench", str(int8_dir), "--data-dir", str(data_dir), "--limit", "24",
                                      "--repeats", "1", "--skip-pipeline"])
    assert result.exit_code == 0, result.output
    engines = json.loads(result.stdout[result.stdout.index("{"):])["engines"]
    assert {"fp32", "fast", "int8", "int8-no-spans"} <= set(engines)
    assert engines["int8"]["precision"] == "int8" and engines["int8"]["span_head"]
    assert 0 <= engines["int8"]["agreement_with_fp32"] <= 1 and "dev_macro_f1" in engines["int8"]
    assert engines["fast"]["precision"] in ("bf16", "fp32")  # the fast path is not the int8 export


@pytest.mark.gpu
def test_cuda_fp16_scores_like_fp32(tiny_span_dir):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    fp32 = Classifier.load(tiny_span_dir, device="cpu", precision="fp32")
    fp16 = Classifier.load(tiny_span_dir, device="cuda", precision="auto")
    assert fp16.precision == "fp16"
    assert np.abs(fp32.predict_outputs(TEXTS) - fp16.predict_outputs(TEXTS)).max() < 0.01
