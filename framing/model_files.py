"""Checks on a model folder's files before anything is handed to a parser.

A model folder may come from anywhere, so loading is data-only: JSON, tokenizer files and
safetensors. No pickle (`*.bin`, `*.pt`, `*.pkl`) and no Python file in the folder is ever read
or imported, whatever config.json asks for. Each problem is one line naming the file and the fix.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from .errors import ModelLoadError

WEIGHTS = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")
_FIX = "copy the whole model folder again, or retrain it with `framing train`"


def check_safetensors(path: Path) -> None:
    """The header is valid and every tensor it lists lies inside the file (a truncated download
    or copy fails here with a clear message, not deep inside a loader)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise ModelLoadError(f"{path} is truncated ({size} bytes, no safetensors header); {_FIX}.")
            (n,) = struct.unpack("<Q", head)
            if n > min(size - 8, 100 * 2**20):
                raise ModelLoadError(f"{path} is not a safetensors file or is truncated (header of {n} bytes in a "
                                     f"{size}-byte file); {_FIX}.")
            header = json.loads(handle.read(n))
    except OSError as exc:
        raise ModelLoadError(f"can't read {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelLoadError(f"{path} has a damaged safetensors header; {_FIX}.") from None
    if not isinstance(header, dict):
        raise ModelLoadError(f"{path} has a damaged safetensors header; {_FIX}.")
    ends = [v.get("data_offsets", [0, 0])[1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)]
    need = 8 + n + max(ends, default=0)
    if need > size:
        raise ModelLoadError(f"{path} is truncated: its header promises {need} bytes, the file has {size}; {_FIX}.")


def check_transformer_dir(path: Path, outputs: list[str]) -> None:
    """Files present, config.json readable and in agreement with framing.json's outputs."""
    path = Path(path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise ModelLoadError(f"{config_path} is missing; the model folder is incomplete; {_FIX}.")
    weights = path / WEIGHTS
    if not weights.is_file():
        pickles = sorted(p.name for p in path.glob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt"))
        extra = (f" ({', '.join(pickles)} present, but pickle files are never loaded: they can run code)"
                 if pickles else "")
        raise ModelLoadError(f"{weights} is missing{extra}; {_FIX}.")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise ModelLoadError(f"{path} has no tokenizer ({' or '.join(TOKENIZER_FILES)} missing); {_FIX}.")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{config_path} is not valid JSON ({str(exc)[:120]}); {_FIX}.") from None
    id2label = config.get("id2label") if isinstance(config, dict) else None
    if not isinstance(id2label, dict):
        raise ModelLoadError(f"{config_path} has no id2label; {_FIX}.")
    try:
        names = [id2label[str(i)] for i in range(len(id2label))]
    except KeyError:
        raise ModelLoadError(f"{config_path}: id2label keys must be 0..{len(id2label) - 1}; {_FIX}.") from None
    if len(names) != len(outputs):
        raise ModelLoadError(f"{config_path} has {len(names)} outputs but framing.json lists {len(outputs)}; "
                             f"the folder mixes two models; {_FIX}.")
    for i, (a, b) in enumerate(zip(names, outputs)):
        if a != b:
            raise ModelLoadError(f"{config_path}: output {i} is {a!r} but framing.json says {b!r}; the folder mixes "
                                 f"two models; {_FIX}.")
    check_safetensors(weights)
