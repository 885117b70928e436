"""The manifest every saved model carries (framing.json): what it is, its labels and thresholds,
what data and code made it, and how it scored. Validated on load, naming exactly what is wrong."""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

from .errors import ModelLoadError
from .taxonomy import ANY_TECHNIQUE, load_taxonomy
from .version import __version__

MANIFEST_NAME = "framing.json"
FORMAT = "framing-model"
FORMAT_VERSION = 1
MODEL_TYPES = ("baseline", "transformer")
# A model's own release (`version`), versioned apart from the code: MAJOR.MINOR.PATCH, e.g. 2026.12.3
# (year.month.release) or 1.4.0, with an optional pre-release or build suffix as in semver.
MODEL_VERSION = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")


def library_versions() -> dict[str, str]:
    import numpy
    import sklearn

    versions = {"framing": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
                "scikit-learn": sklearn.__version__}
    try:
        import torch
        import transformers

        versions.update(torch=torch.__version__, transformers=transformers.__version__)
    except ImportError:
        pass
    return versions


def build_version(now: datetime | None = None) -> str:
    """The version a newly made model gets: this month's release line, PATCH 0, marked as an unreleased
    build of that moment (2026.12.0-dev.20261214T153000). It sorts before any release of the month;
    `framing model set-version` replaces it when the model is released."""
    now = now or datetime.now(UTC)
    return f"{now.year}.{now.month}.0-dev.{now:%Y%m%dT%H%M%S}"


def make_manifest(model_type: str, labels: list[str], thresholds: dict[str, float], *, data_fingerprint: str,
                  settings: dict, metrics: dict | None = None, **extra) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": build_version(),
        "model_type": model_type,
        "labels": list(labels),
        "thresholds": {label: float(thresholds[label]) for label in labels},
        "taxonomy_version": load_taxonomy().version,
        "data_fingerprint": data_fingerprint,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "settings": settings,
        "metrics": metrics or {},
        **extra,
    }


def write_manifest(model_dir: Path, manifest: dict) -> None:
    path = Path(model_dir) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_manifest(model_dir: str | Path) -> dict:
    """Read and validate framing.json; every problem is reported by field, with the fix."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelLoadError(f"Can't find model directory {model_dir}; pass --model with a saved model folder.")
    path = model_dir / MANIFEST_NAME
    if not path.is_file():
        raise ModelLoadError(f"{model_dir} has no {MANIFEST_NAME}; it is not a model saved by framing (point --model "
                             "at a folder written by `framing train`, or copy the whole folder again).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path} is not valid JSON ({exc}); the model folder is damaged.") from None
    problems = validate_manifest(manifest)
    if problems:
        raise ModelLoadError(f"{path} is invalid: " + "; ".join(problems))
    return manifest


def validate_manifest(manifest: object) -> list[str]:
    if not isinstance(manifest, dict):
        return ["the manifest must be a JSON object"]
    problems = []
    if manifest.get("format") != FORMAT:
        problems.append(f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
    version = manifest.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        problems.append(f"format_version is {version}, newer than this framing reads ({FORMAT_VERSION}); "
                        "upgrade framing (pip install -U framing) to load it")
    elif version != FORMAT_VERSION:
        problems.append(f"format_version is {version!r}; this framing reads {FORMAT_VERSION}")
    problems += _version_problems(manifest)
    if manifest.get("model_type") not in MODEL_TYPES:
        problems.append(f"model_type is {manifest.get('model_type')!r}, expected one of {list(MODEL_TYPES)}")
    labels = manifest.get("labels")
    tax = load_taxonomy()
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        problems.append("labels must be a non-empty list of label ids")
        labels = []
    else:
        unknown = [x for x in labels if x not in tax.ids]
        if unknown:
            problems.append(f"labels {unknown} are not in taxonomy {tax.version}")
        if len(set(labels)) != len(labels):
            problems.append("labels contain duplicates")
    thresholds = manifest.get("thresholds")
    if not isinstance(thresholds, dict):
        problems.append("thresholds must map every label to a number in (0, 1)")
    else:
        missing = [x for x in labels if x not in thresholds]
        if missing:
            problems.append(f"thresholds missing for {missing}")
        bad = [k for k, v in thresholds.items()
               if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v < 1]
        if bad:
            problems.append(f"thresholds of {bad} are not numbers in (0, 1)")
    outputs = manifest.get("outputs", labels)
    if not isinstance(outputs, list) or outputs[: len(labels)] != labels or not set(outputs[len(labels):]) <= {
            ANY_TECHNIQUE}:
        problems.append("outputs must be the labels followed by at most the 'any-technique' head")
    gate = manifest.get("any_technique", {"mode": "union"})
    if not isinstance(gate, dict) or gate.get("mode") not in ("union", "dedicated"):
        problems.append("any_technique.mode must be 'union' or 'dedicated'")
    elif gate["mode"] == "dedicated":
        t = gate.get("threshold")
        if ANY_TECHNIQUE not in (outputs or []):
            problems.append("any_technique.mode is 'dedicated' but outputs has no 'any-technique' head")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 < t < 1:
            problems.append("any_technique.threshold must be a number in (0, 1)")
    version = manifest.get("taxonomy_version")
    if not isinstance(version, str) or version.split(".")[0] != tax.version.split(".")[0]:
        problems.append(f"taxonomy_version {version!r} is incompatible with the installed taxonomy {tax.version}")
    return problems


def _version_problems(manifest: dict) -> list[str]:
    # Optional: folders saved before models carried a release version still load.
    if "version" not in manifest:
        return []
    version = manifest["version"]
    if isinstance(version, str) and MODEL_VERSION.fullmatch(version):
        return []
    return [f"version is {version!r}; expected a model release such as '2026.12.3' (MAJOR.MINOR.PATCH)"]


def with_version(manifest: dict, version: str | None = None) -> dict:
    """`manifest` with `version` (a new build version when None) beside format_version, where a reader
    of the file looks for what it is. Soups and blends are new models: they get a build version of
    their own, never the release of the folder they start from."""
    head = [k for k in ("format", "format_version") if k in manifest]
    return {**{k: manifest[k] for k in head}, "version": version or build_version(),
            **{k: v for k, v in manifest.items() if k not in head and k != "version"}}


def set_model_version(model_dir: str | Path, version: str) -> dict:
    """Stamp a release version into a saved model's framing.json (the caller rewrites the card).
    The manifest is replaced by a rename, so a crash leaves the old one or the new one, never half."""
    manifest = read_manifest(model_dir)
    problems = _version_problems({"version": version})
    if problems:
        raise ModelLoadError(problems[0])
    manifest = with_version(manifest, version)
    path = Path(model_dir) / MANIFEST_NAME
    tmp = path.with_name(f".{MANIFEST_NAME}.{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return manifest
