import json
import shutil

import numpy as np
import pytest

from framing import Classifier
from framing.errors import ModelLoadError
from tests.conftest import TOY


def test_save_load_round_trip_gives_the_same_probabilities(toy_baseline_dir, tmp_path):
    from framing.models.baseline import BaselineModel, BaselineSettings

    clf = Classifier.load(toy_baseline_dir)
    texts = [t for t, _ in TOY[:10]]
    probs = clf.predict_proba(texts)
    assert probs.shape == (10, 4) and clf.labels == ["loaded-language", "name-calling", "doubt", "appeal-to-fear"]
    # refit in memory: the saved fp16 weights change probabilities by well under 1e-2
    labels = clf.labels
    y = np.array([[label in labs for label in labels] for _, labs in TOY])
    fresh = BaselineModel(labels, BaselineSettings(min_df=1, max_word_features=500, max_char_features=500))
    fresh.fit([t for t, _ in TOY], y, np.ones_like(y))
    assert np.abs(fresh.predict_proba(texts) - probs).max() < 1e-2


def test_baseline_learns_the_toy_task(toy_baseline_dir):
    clf = Classifier.load(toy_baseline_dir)
    probs = clf.predict_proba(["The corrupt traitors are destroying everything!", "The committee met on Tuesday."])
    col = clf.labels.index("loaded-language")
    assert probs[0, col] > probs[1, col]


def test_rows_follow_input_order(toy_baseline_dir):
    clf = Classifier.load(toy_baseline_dir)
    texts = [t for t, _ in TOY[:10]]
    forward = clf.predict_proba(texts)
    backward = clf.predict_proba(texts[::-1])
    assert np.allclose(forward, backward[::-1])
    assert clf.predict_proba([]).shape == (0, 4)


def _copy(src, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(labels=["loaded-language", "not-a-label", "doubt", "appeal-to-fear"]), "not-a-label"),
    (lambda m: m["thresholds"].update(doubt=1.5), "doubt"),
    (lambda m: m.update(format_version=99), "format_version"),
    (lambda m: m.update(taxonomy_version="9.0.0"), "taxonomy_version"),
    (lambda m: m.pop("thresholds"), "thresholds"),
])
def test_invalid_manifest_names_the_problem(toy_baseline_dir, tmp_path, edit, message):
    dst = _copy(toy_baseline_dir, tmp_path)
    manifest = json.loads((dst / "framing.json").read_text())
    edit(manifest)
    (dst / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=message):
        Classifier.load(dst)


def test_damaged_or_missing_files_are_reported(toy_baseline_dir, tmp_path):
    dst = _copy(toy_baseline_dir, tmp_path)
    (dst / "baseline.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(ModelLoadError, match="damaged"):
        Classifier.load(dst)
    (dst / "baseline.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        Classifier.load(dst)
    (dst / "framing.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        Classifier.load(dst)
    with pytest.raises(ModelLoadError, match="Can't find model directory"):
        Classifier.load(tmp_path / "nope")


def test_label_count_mismatch_is_caught(toy_baseline_dir, tmp_path):
    dst = _copy(toy_baseline_dir, tmp_path)
    manifest = json.loads((dst / "framing.json").read_text())
    manifest["labels"] = manifest["labels"][:3]
    manifest["thresholds"].pop("appeal-to-fear")
    (dst / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="shape"):
        Classifier.load(dst)
