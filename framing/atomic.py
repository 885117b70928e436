"""Publishing a model folder atomically: a killed `framing train` never leaves a half-written
model where the old one was.

The new model is written into a hidden sibling `.NAME.partial-PID`; when it is complete, the old
folder is renamed aside, the new one renamed into place (both renames are atomic on one file
system) and the old one deleted. A run killed between the two renames leaves `.NAME.old-PID`;
the next run puts it back before starting, so NAME is always either the old or the new model.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .outfile import pid_alive


def _leftovers(final: Path):
    for path in final.parent.glob(f".{final.name}.*-*"):
        kind, _, pid = path.name[len(final.name) + 2:].rpartition("-")
        if kind in ("partial", "old") and pid.isdigit() and not pid_alive(int(pid)):
            yield kind, path


def recover(final: Path) -> None:
    """Undo what a killed run left: restore a moved-aside model, delete unfinished ones."""
    for kind, path in sorted(_leftovers(final), key=lambda kp: kp[0] != "old"):
        if kind == "old" and not final.exists():
            os.rename(path, final)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def atomic_dir(final: str | Path):
    """`with atomic_dir(out) as tmp:` write the model into tmp; it replaces `out` on success."""
    final = Path(final).absolute()
    final.parent.mkdir(parents=True, exist_ok=True)
    recover(final)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
