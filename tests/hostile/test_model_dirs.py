"""Damaged and hostile model folders: one-line errors naming the file, and nothing in the
folder is ever unpickled or imported."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys

import pytest

from framing.errors import ModelLoadError
from framing.inference import Classifier


@pytest.fixture()
def tiny(tiny_transformer_dir, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(tiny_transformer_dir, path)
    return path


def load_error(path) -> str:
    with pytest.raises(ModelLoadError) as info:
        Classifier.load(path, device="cpu", precision="fp32")
    message = str(info.value)
    assert "\n" not in message
    return message


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("name, fix", [
    ("config.json", "copy the whole model folder again"),
    ("model.safetensors", "copy the whole model folder again"),
    ("framing.json", "not a model saved by framing"),
])
def test_missing_file_names_the_file_and_the_fix(tiny, name, fix):
    (tiny / name).unlink()
    message = load_error(tiny)
    assert name in message and fix in message


def test_missing_tokenizer(tiny):
    for name in ("tokenizer.json", "vocab.txt"):
        (tiny / name).unlink(missing_ok=True)
    assert "no tokenizer" in load_error(tiny)


def test_wrong_label_count(tiny):
    edit_json(tiny / "framing.json", lambda m: (m["labels"].pop(), m["outputs"].remove(m["outputs"][-2])))
    message = load_error(tiny)
    assert "config.json" in message and "outputs" in message


def test_labels_disagree_between_manifest_and_config(tiny):
    def swap(config):
        config["id2label"]["0"], config["id2label"]["1"] = config["id2label"]["1"], config["id2label"]["0"]

    edit_json(tiny / "config.json", swap)
    message = load_error(tiny)
    assert "config.json" in message and "output 0" in message and "framing.json" in message


def test_newer_format_version_asks_for_an_upgrade(tiny):
    edit_json(tiny / "framing.json", lambda m: m.update(format_version=99))
    message = load_error(tiny)
    assert "framing.json" in message and "upgrade framing" in message


@pytest.mark.parametrize("keep", [0, 5, 200, 0.5, 0.99])
def test_truncated_safetensors(tiny, keep):
    weights = tiny / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    message = load_error(tiny)
    assert "model.safetensors" in message and ("truncated" in message or "damaged" in message)


def test_truncated_baseline_weights_and_bad_vocabulary(toy_baseline_dir, tmp_path):
    path = tmp_path / "baseline"
    shutil.copytree(toy_baseline_dir, path)
    weights = path / "baseline.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    assert "baseline.safetensors" in load_error(path)
    shutil.copy(toy_baseline_dir / "baseline.safetensors", weights)
    (path / "vocabulary.json").write_text('["not", "a", "mapping"]')
    assert "vocabulary.json" in load_error(path)


PLANTED = ("pytorch_model.bin", "training_args.bin", "optimizer.pt", "model.pkl", "rng_state.pth")


class Planted:
    """Unpickling this runs os.system: proof by side effect that a file was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant(folder, marker):
    payload = pickle.dumps(Planted(marker))
    for name in PLANTED:
        (folder / name).write_bytes(payload)
    # and code that transformers would import if remote code were trusted
    (folder / "modeling_evil.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    edit_json(folder / "config.json", lambda c: c.update(auto_map={
        "AutoModelForSequenceClassification": "modeling_evil.EvilModel", "AutoConfig": "modeling_evil.EvilConfig"}))


def test_planted_pickles_and_code_are_never_loaded(tiny, tmp_path):
    marker = tmp_path / "PWNED"
    pickle.loads(pickle.dumps(Planted(marker)))  # the payload works...
    assert marker.exists()
    marker.unlink()
    plant(tiny, marker)
    # ...but loading and scoring in a fresh process never runs it
    code = ("import sys; from framing.inference import Classifier; "
            "c = Classifier.load(sys.argv[1], device='cpu'); print(c.predict_proba(['The corrupt elite lied.']).shape)")
    done = subprocess.run([sys.executable, "-c", code, str(tiny)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    # with the safetensors weights gone, the pickles are still refused rather than used
    (tiny / "model.safetensors").unlink()
    done = subprocess.run([sys.executable, "-c", code, str(tiny)], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "pickle files are never loaded" in done.stderr
    assert not marker.exists()


def test_cli_reports_a_damaged_model_in_one_line(tiny):
    (tiny / "model.safetensors").write_bytes(b"\x00" * 10)
    done = subprocess.run([sys.executable, "-m", "framing", "score", "-", "--model", str(tiny)], input="Hello there.",
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "model.safetensors" in done.stderr and "Traceback" not in done.stderr
