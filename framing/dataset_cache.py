"""The on-disk cache of the sentence dataset: every build in its own folder, a pointer file naming
the current one.

A folder cannot be renamed onto a non-empty folder, but a file can be replaced atomically
(`os.replace`), so a rebuild never touches the build readers use: it writes
`KEY.v-HOST-PID-TOKEN/`, loads it, points `KEY.current` at it and only then deletes the build the
pointer named before. Readers see the old build or the new one, never a half-written one; two
processes that rebuild at once each publish a complete build and the last pointer wins. A build
left by a killed process (its pid gone on this host) is deleted by the next rebuild.

A process that already loaded a build keeps reading it after a rebuild deletes it (the Arrow
files stay memory-mapped on POSIX); one caught between reading the pointer and opening the
folder reads the pointer again.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

from .outfile import pid_alive

POINTER_SUFFIX = ".current"


def current(base: Path, key: str) -> Path | None:
    """The complete build the pointer names, or None. Without a pointer, the single `KEY/` folder
    that caches written before builds were versioned use."""
    try:
        name = (base / f"{key}{POINTER_SUFFIX}").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        name = key
    folder = base / name
    return folder if name and (folder / "dataset_dict.json").is_file() else None


def load_or_build(base: Path, key: str, build: Callable[[], object], *, rebuild: bool = False):
    """The DatasetDict cached under `key` in `base`, built by `build()` (and published) when there
    is none, when `rebuild` is set, or when the cached one cannot be read."""
    import datasets

    if not rebuild:
        for _ in range(3):
            folder = current(base, key)
            if folder is None:
                break
            try:
                return datasets.load_from_disk(str(folder))
            except (OSError, ValueError):  # ValueError: pyarrow's ArrowInvalid, a broken JSON file
                if current(base, key) == folder:
                    break  # not replaced under us but unreadable (a damaged cache): build a new one
    return publish(base, key, build())


def publish(base: Path, key: str, dd):
    """Save `dd` as a new build of `key`, point readers at it and delete the build it replaces;
    returns `dd` loaded back from its folder."""
    import datasets

    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"{key}.v-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        dd.save_to_disk(str(folder))
        # Load before publishing: once the pointer names it, a concurrent rebuild may delete it.
        loaded = datasets.load_from_disk(str(folder))
        previous = current(base, key)
        staged = base / f".{folder.name}{POINTER_SUFFIX}"
        staged.write_text(folder.name, encoding="utf-8")
        os.replace(staged, base / f"{key}{POINTER_SUFFIX}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    _sweep(base, key, keep=folder)
    return loaded


def _sweep(base: Path, key: str, keep: Path) -> None:
    """Delete the builds of `key` that processes of this host left when they were killed. Builds
    of live processes may still be being written; other hosts' are theirs to judge."""
    host = socket.gethostname()
    for path in base.glob(f"{key}.v-*"):
        # KEY.v-HOST-PID-TOKEN, where HOST may itself contain "-"
        owner, _, _token = path.name[len(f"{key}.v-"):].rpartition("-")
        owner_host, _, pid = owner.rpartition("-")
        if path != keep and owner_host == host and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
