"""The output file of `framing batch`: one writer at a time, resume from what is on disk, and
appends that survive kill -9, disk-full and read-only targets without losing a written record.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from .errors import InputError, OutputError


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{exc.strerror.lower()} (the disk or quota is full)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{exc.strerror.lower()} (the output location is read-only)"
    return (exc.strerror or str(exc)).lower()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputLock:
    """OUT.lock holds the writer's pid; a second live run on the same OUT is refused."""

    def __init__(self, out: Path):
        self.path = out.with_name(out.name + ".lock")

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"can't create {self.path.parent}: {_why(exc)}; choose another --out") from None
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid = self._owner()
                if pid and _alive(pid):
                    raise InputError(f"{self.path.name[:-5]} is being written by another run (pid {pid}); "
                                     "wait for it or choose another --out") from None
                self.path.unlink(missing_ok=True)  # stale lock of a killed run
                continue
            except OSError as exc:
                raise OutputError(f"can't write to {self.path.parent}: {_why(exc)}; choose another --out") from None
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
            return self
        raise InputError(f"can't take the lock {self.path}")

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc):
        try:
            self.path.unlink(missing_ok=True)
        except OSError:  # a read-only target: the stale lock is reclaimed by the next run
            pass


def done_ids(out: Path) -> tuple[set[str], dict[str, str]]:
    """Ids (and content hashes) already in OUT. A torn last line from a killed run is cut off."""
    ids, hashes = set(), {}
    if not out.exists():
        return ids, hashes
    try:
        handle = open(out, "rb+")
    except OSError as exc:
        raise OutputError(f"can't resume {out}: {_why(exc)}") from None
    with handle:
        good_end = 0
        for line in iter(handle.readline, b""):
            if not line.endswith(b"\n"):
                break
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break
            ids.add(rec["id"])
            if rec.get("content_hash") and rec.get("status") == "scored":
                hashes.setdefault(rec["content_hash"], rec["id"])
            good_end = handle.tell()
        handle.truncate(good_end)
    return ids, hashes


class DurableAppender:
    """Appends whole chunks of JSONL. Each chunk is written and fsynced before the next; if a
    write fails part-way (disk full, quota, file-size limit), the partial chunk is cut off again,
    so OUT always ends at a record boundary and `--resume` continues from it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise OutputError(f"can't write {self.path}: {_why(exc)}; choose another --out") from None
        self.end = os.fstat(self.fd).st_size
        self.records = 0

    def append(self, payload: bytes, n_records: int) -> None:
        view, written = memoryview(payload), 0
        try:
            while written < len(view):
                written += os.write(self.fd, view[written:])
            os.fsync(self.fd)  # a chunk on disk survives kill -9 and power loss
        except OSError as exc:
            try:
                os.ftruncate(self.fd, self.end)
            except OSError:
                pass  # the torn line is cut off by --resume instead
            raise OutputError(f"can't write {self.path}: {_why(exc)}. The {self.records} records written by this run "
                              "are kept; make room (or fix permissions) and rerun with --resume") from None
        self.end += len(payload)
        self.records += n_records

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
