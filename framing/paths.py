"""Where framing finds its corpora, its model and its cache.

framing runs either from a checkout of the project (models/, data/annotations/, seeds/ beside the
package) or installed from a wheel, which holds only the code and the taxonomy. Everything that
exists only in a checkout is reached through `checkout_root()`, so an installed framing never
looks for files next to site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataDirError, ModelLoadError

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = "FRAMING_DATA_DIR"
MODEL_ENV = "FRAMING_MODEL"
CACHE_ENV = "FRAMING_CACHE"

# The corpora live beside the project checkout, never inside it (research-only terms).
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
PROJECT_DATA = REPO_ROOT / "data"
ANNOTATIONS_DIR = PROJECT_DATA / "annotations"
MODELS_DIR = REPO_ROOT / "models"
# models/DEFAULT names the shipped default model's folder (a file, not a symlink, so any
# checkout keeps it).
DEFAULT_POINTER = MODELS_DIR / "DEFAULT"

POINT_AT_A_MODEL = f"pass --model DIR or set ${MODEL_ENV} to a model folder (one holding framing.json)"


def checkout_root() -> Path | None:
    """The project checkout this package runs from, or None when it is installed: an installed
    package sits in site-packages, where no pyproject.toml lies beside it."""
    return REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "framing").is_dir() else None


def resolve_data_dir(data_dir: str | Path | None = None, *, must_exist: bool = True) -> Path | None:
    """--data-dir wins, then $FRAMING_DATA_DIR, then ../shared/data beside the checkout. Without
    `must_exist` it may return a missing folder, or None when nothing names one."""
    chosen = data_dir or os.environ.get(DATA_ENV) or (DEFAULT_DATA_DIR if checkout_root() else None)
    path = Path(chosen).expanduser().resolve() if chosen else None
    if must_exist and (path is None or not path.is_dir()):
        where = f"Can't find the data directory {path}" if path else "No data directory given"
        raise DataDirError(f"{where}. Pass --data-dir or set ${DATA_ENV} to the folder that holds "
                           "ptc-semeval2020-task11/ and the other corpora.")
    return path


def find_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """Like resolve_data_dir, but None instead of an error (used by tests to skip)."""
    path = resolve_data_dir(data_dir, must_exist=False)
    return path if path is not None and (path / "ptc-semeval2020-task11").is_dir() else None


def resolve_model(model: str | Path | None = None) -> tuple[Path, str]:
    """The model folder to use and where that choice came from: --model, then $FRAMING_MODEL,
    then the checkout's models/DEFAULT. An installed framing has no default model (models are
    versioned and distributed apart from the code), so without the first two it is an error."""
    if model:
        return Path(model), "--model"
    if os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV]).expanduser()
        if not path.is_dir():
            raise ModelLoadError(f"${MODEL_ENV} names {path}, which is not a folder; {POINT_AT_A_MODEL}.")
        return path, f"${MODEL_ENV}"
    if checkout_root() and DEFAULT_POINTER.is_file():
        name = DEFAULT_POINTER.read_text(encoding="utf-8").strip()
        return MODELS_DIR / name, f"{DEFAULT_POINTER} in the checkout"
    raise ModelLoadError(f"No model given: {POINT_AT_A_MODEL}; an installed framing ships no model.")


def default_model_dir() -> Path:
    """The folder `resolve_model()` picks when no --model is given."""
    return resolve_model()[0]


def checkout_models_dir() -> Path:
    """models/ of the checkout, where `framing train` saves by default; outside a checkout the
    caller must say where (there is no project folder to write into)."""
    if checkout_root() is None:
        raise ModelLoadError("framing is not running from a project checkout; pass --out DIR for the new model.")
    return MODELS_DIR


def cache_dir() -> Path:
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "framing")
    path.mkdir(parents=True, exist_ok=True)
    return path
