"""Which model framing uses (--model, then $FRAMING_MODEL, then the checkout's models/DEFAULT) and how
it behaves installed, without a checkout around it. scripts/check_wheel.sh checks the real wheel."""

import pytest
from typer.testing import CliRunner

import framing.paths as paths
from framing.cli import app
from framing.errors import DataDirError, ModelLoadError
from framing.inference import Classifier
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture
def installed(monkeypatch):
    """framing as if installed from the wheel: no checkout beside the package, nothing in the environment."""
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    monkeypatch.delenv(paths.MODEL_ENV, raising=False)
    monkeypatch.delenv(paths.DATA_ENV, raising=False)


def test_model_choice_order(monkeypatch, toy_baseline_dir, tmp_path):
    monkeypatch.delenv(paths.MODEL_ENV, raising=False)
    shipped = REPO / "models" / (REPO / "models" / "DEFAULT").read_text().strip()
    assert paths.resolve_model() == (shipped, f"{paths.DEFAULT_POINTER} in the checkout")
    monkeypatch.setenv(paths.MODEL_ENV, str(toy_baseline_dir))
    assert paths.resolve_model() == (toy_baseline_dir, "$FRAMING_MODEL")
    assert paths.resolve_model(tmp_path) == (tmp_path, "--model")


def test_model_path_prints_the_folder_and_where_it_came_from(monkeypatch, toy_baseline_dir):
    monkeypatch.setenv(paths.MODEL_ENV, str(toy_baseline_dir))
    result = runner.invoke(app, ["model", "path"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{toy_baseline_dir.resolve()}\n"
    assert "$FRAMING_MODEL" in result.stderr and "baseline model" in result.stderr
    monkeypatch.delenv(paths.MODEL_ENV)
    result = runner.invoke(app, ["model", "path"])
    assert result.exit_code == 0 and "models/DEFAULT" in result.stderr
    assert result.stdout == f"{paths.default_model_dir().resolve()}\n"


def test_model_env_naming_no_folder_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.MODEL_ENV, str(tmp_path / "nope"))
    result = runner.invoke(app, ["model", "path"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "$FRAMING_MODEL" in result.stderr and "nope" in result.stderr


def test_model_path_refuses_a_folder_that_is_not_a_model(tmp_path):
    result = runner.invoke(app, ["model", "path", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "framing.json" in result.stderr and result.stdout == ""


def test_installed_framing_has_no_default_model_and_says_how_to_give_one(installed, tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("The corrupt elite lied to us again!", encoding="utf-8")
    for args in (["model", "path"], ["score", str(doc)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "--model" in result.stderr and "$FRAMING_MODEL" in result.stderr
    with pytest.raises(ModelLoadError, match="FRAMING_MODEL"):
        Classifier.load()


def test_installed_framing_scores_with_a_model_from_the_environment(installed, monkeypatch, toy_baseline_dir, tmp_path):
    monkeypatch.setenv(paths.MODEL_ENV, str(toy_baseline_dir))
    doc = tmp_path / "a.txt"
    doc.write_text("These evil globalist puppets must be stopped.", encoding="utf-8")
    result = runner.invoke(app, ["score", str(doc), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "globalist" in result.stdout


def test_installed_framing_needs_to_be_told_where_data_and_new_models_go(installed):
    assert paths.find_data_dir() is None
    with pytest.raises(DataDirError, match="FRAMING_DATA_DIR"):
        paths.resolve_data_dir()
    result = runner.invoke(app, ["train", "--model", "baseline"])
    assert result.exit_code == 2 and "--out" in result.stderr
