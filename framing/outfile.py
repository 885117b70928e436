"""The output file of `framing batch`: one writer at a time, resume from what is on disk, and
appends that survive kill -9, disk-full and read-only targets without losing a written record.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from .errors import InputError, OutputError


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{exc.strerror.lower()} (the disk or quota is full)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{exc.strerror.lower()} (the output location is read-only)"
    return (exc.strerror or str(exc)).lower()


def pid_alive(pid: int) -> bool:
    """Whether a process of this host has this pid (one of another user's counts as alive)."""
    if pid <= 0:  # 0 and negative pids name process groups, not a writer
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


HOST = socket.gethostname()
DEFAULT_LEASE_S = 60.0


def lease_seconds() -> float:
    """How long a lock from another host stays valid after its last renewal ($FRAMING_LOCK_LEASE)."""
    raw = os.environ.get("FRAMING_LOCK_LEASE", DEFAULT_LEASE_S)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise InputError(f"FRAMING_LOCK_LEASE={raw!r}: use a number of seconds above 0")
    return value


class OutputLock:
    """OUT.lock: one writer per OUT, also between hosts that share the storage (NFS, a mounted bucket).

    The lock file is created with O_EXCL (atomic on local file systems and on NFS v3 and later) and
    holds the writer's host and pid and a lease: the time of its last renewal, which a heartbeat
    thread rewrites every lease/6 seconds while the lock is held, and the lease's length. Another
    run refuses a lock while its writer lives: on this host, while the pid is alive (a dead pid's
    lock is taken over at once); from another host, whose pids can't be checked from here, until
    the lease has run out (that host died or lost the storage). Hosts' clocks must agree to well
    within the lease (NTP does)."""

    def __init__(self, out: Path):
        self.path = out.with_name(out.name + ".lock")
        self.lease = lease_seconds()
        self.token = uuid.uuid4().hex
        self._fd = None
        self._released = threading.Event()
        self._heartbeat = None

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"can't create {self.path.parent}: {_why(exc)}; choose another --out") from None
        for _ in range(3):
            try:
                self._fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
            except FileExistsError:
                self._refuse_or_take_over()
                continue
            except OSError as exc:
                raise OutputError(f"can't write to {self.path.parent}: {_why(exc)}; choose another --out") from None
            try:
                self._renew()
            except OSError as exc:  # e.g. a full disk
                os.close(self._fd)
                self.path.unlink(missing_ok=True)
                raise OutputError(f"can't write to {self.path.parent}: {_why(exc)}; choose another --out") from None
            self._heartbeat = threading.Thread(target=self._beat, name="output-lock-heartbeat", daemon=True)
            self._heartbeat.start()
            return self
        raise InputError(f"can't take the lock {self.path}: other runs keep taking it; try again")

    def _payload(self) -> bytes:
        # Same length at every renewal (the time has a fixed format), so a rewrite in place never
        # leaves the tail of a longer one behind.
        return json.dumps({"host": HOST, "pid": os.getpid(), "renewed": f"{time.time():.3f}", "lease": self.lease,
                           "token": self.token}).encode() + b"\n"

    def _renew(self) -> None:
        # Written through our own descriptor: if a run elsewhere took the lock over (our lease ran
        # out, say while this machine was suspended), this writes the moved-aside file, never theirs.
        os.pwrite(self._fd, self._payload(), 0)
        os.fsync(self._fd)

    def _beat(self) -> None:
        while not self._released.wait(self.lease / 6):
            try:
                self._renew()
            except OSError:
                pass  # a storage hiccup: the next beat tries again, and the lease outlasts several

    def _refuse_or_take_over(self) -> None:
        try:
            seen, mtime = self.path.read_bytes(), self.path.stat().st_mtime
        except FileNotFoundError:
            return  # released meanwhile: try again
        except OSError as exc:
            raise OutputError(f"can't read the lock {self.path}: {_why(exc)}; choose another --out") from None
        holder = _holder(seen)
        if _live(holder, mtime):
            raise InputError(_busy_message(self.path, holder))
        self._take_over(seen)

    def _take_over(self, seen: bytes) -> None:
        """Remove a dead writer's lock, unless another run took it over first (then put theirs back).
        Moving it aside first makes the check and the removal one step no other run can come between."""
        aside = self.path.with_name(f"{self.path.name}.stale-{self.token[:8]}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        try:
            if aside.read_bytes() != seen:
                _put_back(aside, self.path)
        finally:
            aside.unlink(missing_ok=True)

    def __exit__(self, *exc):
        self._released.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        try:
            if _holder(self.path.read_bytes()).get("token") == self.token:  # never remove a lock taken over since
                self.path.unlink()
        except OSError:  # gone, or a read-only target: a stale lock is taken over by the next run
            pass
        finally:
            os.close(self._fd)


def _holder(raw: bytes) -> dict:
    """Who the lock names: {"host", "pid", "renewed", "lease"}; {} while its writer is still writing it."""
    text = raw.decode("utf-8", "replace").strip()
    if text.isdigit():  # the older format: a bare pid, always of this host
        return {"host": HOST, "pid": int(text)}
    try:
        holder = json.loads(text)
        return holder if isinstance(holder, dict) and isinstance(holder.get("pid"), int) else {}
    except json.JSONDecodeError:
        return {}


def _live(holder: dict, mtime: float) -> bool:
    now = time.time()
    if not holder:  # just created, not yet written: live for a lease from its creation
        return now - mtime < DEFAULT_LEASE_S
    if holder.get("host") == HOST:
        return pid_alive(holder["pid"])
    try:
        renewed = float(holder.get("renewed", 0))
    except (TypeError, ValueError):
        renewed = mtime
    return now - renewed < _lease_of(holder)


def _lease_of(holder: dict) -> float:
    try:
        return float(holder.get("lease", DEFAULT_LEASE_S))
    except (TypeError, ValueError):
        return DEFAULT_LEASE_S


def _busy_message(path: Path, holder: dict) -> str:
    out = path.name[:-len(".lock")]
    if not holder:
        return f"{out} is being written by another run (its lock was created just now); wait for it or choose another --out"
    message = (f"{out} is being written by another run (host {holder.get('host')}, pid {holder['pid']}); "
               "wait for it or choose another --out")
    if holder.get("host") != HOST:
        message += f" (if that run died, its lock expires {_lease_of(holder):g} s after its last renewal)"
    return message


def _put_back(aside: Path, path: Path) -> None:
    """Return a lock moved aside by mistake, unless a new one exists already."""
    try:
        os.link(aside, path)  # fails if PATH exists again: create-if-absent, also on NFS
    except FileExistsError:
        pass  # a third run locked it in between: rare enough to accept (that run and the one moved aside overlap)
    except OSError:  # no hard links (some bucket mounts): a plain rename
        os.rename(aside, path)


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
