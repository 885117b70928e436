"""The model card says only what the run recorded, and a model's release version is checked on load."""

import json
import shutil
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import ModelLoadError
from framing.inference import Classifier
from framing.manifest import build_version, read_manifest, with_version
from framing.model_card import card_lines, write_model_card
from tests.conftest import REPO

runner = CliRunner()


def _sets(*names):
    return {"sets": {name: {"micro_f1": 0.5, "macro_f1": 0.4} for name in names}}


def _card(tmp_path, *, with_memes, with_synthetic, soup=None) -> str:
    """A transformer run's card, from a manifest shaped as `framing train` writes it."""
    manifest = {
        "format": "framing-model", "format_version": 1, "model_type": "transformer", "data_fingerprint": "abc",
        "taxonomy_version": "1.0.0", "max_length": 128,
        "settings": {"epochs": 4, "batch_size": 16, "lr": 5e-5, "head_lr": 1e-3, "max_length": 128, "seed": 7,
                     "span_weight": 0.0, "with_memes": with_memes, "with_synthetic": with_synthetic,
                     "with_fragments": True},
        "training": {"train_rows": 1000, "fragment_rows": 100, "best_dev_score": 0.4},
        "metrics": {"dev": _sets("ptc", "frames", *(["memes"] if with_memes else [])),
                    "test": _sets("semeval2023", "frames", *(["memes"] if with_memes else []))},
        **({"soup": soup} if soup else {}),
    }
    (tmp_path / "framing.json").write_text(json.dumps(manifest))
    write_model_card(tmp_path)
    return (tmp_path / "README.md").read_text(encoding="utf-8")


def test_card_of_a_run_without_memes_and_synthetic_frames_does_not_claim_them(tmp_path):
    card = _card(tmp_path, with_memes=False, with_synthetic=False).lower()
    assert "meme" not in card and "synthetic" not in card
    assert "ptc" in card and "frame annotations (train split)" in card and "1,000 training rows" in card


def test_card_of_a_run_with_memes_and_synthetic_frames_names_them(tmp_path):
    card = _card(tmp_path, with_memes=True, with_synthetic=True)
    assert "SemEval-2021 Task 6 meme texts (train)" in card and "synthetic frame sentences" in card


def test_card_of_a_soup_says_which_members_had_what(tmp_path):
    members = [{"seed": 7, "span_weight": 0.5, "with_memes": True}, {"seed": 13, "span_weight": 0.0, "with_memes": False}]
    card = _card(tmp_path, with_memes=True, with_synthetic=False, soup={"members": members})
    assert "meme texts (train) (soup members with seed 7 only)" in card
    assert "span loss (weight 0.5)" in card and "seeds 7, 13" in card


def _copy(src, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("version", ["2026.13", "v1.0.0", 2026, ""])
def test_a_malformed_model_version_is_refused_on_load(toy_baseline_dir, tmp_path, version):
    dst = _copy(toy_baseline_dir, tmp_path)
    manifest = json.loads((dst / "framing.json").read_text())
    (dst / "framing.json").write_text(json.dumps({**manifest, "version": version}))
    with pytest.raises(ModelLoadError, match="version"):
        Classifier.load(dst)


def test_set_version_records_the_release_and_older_folders_still_load(toy_baseline_dir, tmp_path):
    dst = _copy(toy_baseline_dir, tmp_path)
    older = {k: v for k, v in json.loads((dst / "framing.json").read_text()).items() if k != "version"}
    (dst / "framing.json").write_text(json.dumps(older))
    assert "version" not in read_manifest(dst)  # saved before models had one: loads all the same
    result = runner.invoke(app, ["model", "set-version", str(dst), "2027.1.0"])
    assert result.exit_code == 0, result.output
    assert Classifier.load(dst).manifest["version"] == "2027.1.0"
    before = (dst / "framing.json").read_bytes()
    result = runner.invoke(app, ["model", "set-version", str(dst), "latest"])
    assert result.exit_code == 2 and "MAJOR.MINOR.PATCH" in result.stderr
    assert (dst / "framing.json").read_bytes() == before


def test_shipped_models_carry_their_release_version_and_a_current_card():
    for folder in ("transformer", "transformer/baseline", "baseline"):
        version = read_manifest(REPO / "models" / folder)["version"]
        assert "-dev" not in version and version.startswith("2026.12."), folder
    # The card is what write_model_card makes of framing.json today: a changed manifest (a new version,
    # an added span head) needs `framing model set-version` or a rewrite of the card.
    shipped = REPO / "models" / "transformer"
    manifest = json.loads((shipped / "framing.json").read_text(encoding="utf-8"))
    assert (shipped / "README.md").read_text(encoding="utf-8") == "\n".join(card_lines(manifest)) + "\n"


def test_a_new_model_gets_a_build_version_that_loads(toy_baseline_dir):
    assert build_version(datetime(2026, 12, 14, 15, 30, 5, tzinfo=UTC)) == "2026.12.0-dev.20261214T153005"
    version = read_manifest(toy_baseline_dir)["version"]  # written by make_manifest, as `framing train` does
    assert version.startswith(f"{datetime.now(UTC).year}.") and "-dev." in version


def test_a_model_made_from_a_release_gets_its_own_version_next_to_the_format():
    released = {"format": "framing-model", "format_version": 1, "model_type": "transformer", "version": "2026.12.5"}
    derived = with_version(released)
    assert list(derived)[:3] == ["format", "format_version", "version"]
    assert derived["version"] != "2026.12.5" and "-dev." in derived["version"]
    assert with_version(released, "2027.1.0")["version"] == "2027.1.0"


def test_card_of_a_run_without_frame_data_names_no_frames(tmp_path):
    manifest = {"format": "framing-model", "format_version": 1, "model_type": "baseline", "data_fingerprint": "abc",
                "taxonomy_version": "1.0.0", "labels": ["loaded-language", "doubt"],
                "settings": {"with_memes": False, "with_synthetic": True, "with_fragments": False},
                "training": {"train_rows": 10}, "metrics": {"dev": _sets("ptc")}}
    card = "\n".join(card_lines(manifest)).lower()
    assert "2 of the 14 persuasion techniques" in card
    assert "frame" not in card and "synthetic" not in card and "fragments" not in card


def test_card_describes_a_span_head_only_when_the_folder_has_one():
    manifest = json.loads((REPO / "models" / "transformer" / "framing.json").read_text(encoding="utf-8"))
    assert any("Span head" in line and "PTC train spans" in line for line in card_lines(manifest))
    manifest.pop("span_head")
    assert not any("span head" in line.lower() for line in card_lines(manifest))


def test_card_names_the_labels_its_thresholds_switch_off():
    from framing.metrics import NEVER, joint_thresholds

    # the joint rule switches off a label whose every firing is a false positive, and stores NEVER
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], bool)
    scores = np.array([[0.9, 0.8], [0.8, 0.9], [0.1, 0.1], [0.2, 0.7]])
    th = joint_thresholds(y, scores, np.ones_like(y), np.array([0.5, 0.5]))
    assert th[1] == NEVER and th[0] < 0.8
    manifest = {"format": "framing-model", "format_version": 1, "model_type": "baseline", "data_fingerprint": "abc",
                "taxonomy_version": "1.0.0", "labels": ["loaded-language", "doubt"],
                "thresholds": {"loaded-language": float(th[0]), "doubt": float(th[1])},
                "settings": {}, "training": {"train_rows": 10}, "metrics": {"dev": _sets("ptc")}}
    off = [line for line in card_lines(manifest) if line.startswith("- Never predicted")]
    assert off == [off[0]] and "doubt" in off[0] and "loaded-language" not in off[0]
    manifest["thresholds"]["doubt"] = 0.97
    assert not any(line.startswith("- Never predicted") for line in card_lines(manifest))
