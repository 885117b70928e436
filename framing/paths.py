"""Where the project finds its corpora, its shipped models and its cache."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataDirError

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


def resolve_data_dir(data_dir: str | Path | None = None, *, must_exist: bool = True) -> Path:
    """--data-dir wins, then $FRAMING_DATA_DIR, then ../shared/data beside the checkout."""
    chosen = data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    path = Path(chosen).expanduser().resolve()
    if must_exist and not path.is_dir():
        raise DataDirError(
            f"Can't find the data directory {path}. Pass --data-dir or set ${DATA_ENV} "
            "to the folder that holds ptc-semeval2020-task11/ and the other corpora."
        )
    return path


def find_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """Like resolve_data_dir, but None instead of an error (used by tests to skip)."""
    path = resolve_data_dir(data_dir, must_exist=False)
    return path if (path / "ptc-semeval2020-task11").is_dir() else None


def default_model_dir() -> Path:
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    name = DEFAULT_POINTER.read_text(encoding="utf-8").strip() if DEFAULT_POINTER.exists() else "baseline"
    return MODELS_DIR / name


def cache_dir() -> Path:
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "framing")
    path.mkdir(parents=True, exist_ok=True)
    return path
