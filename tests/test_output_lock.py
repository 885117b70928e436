"""OUT.lock between real processes and across hosts sharing the storage: a live writer is refused
(on this host by its pid, from another host by its lease), a dead one's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framing.errors import InputError
from framing.outfile import HOST, OutputLock

# Holds OUT's lock until its standard input closes; "held" on stdout once it has it.
HOLD = ("import sys; from pathlib import Path; from framing.outfile import OutputLock\n"
        "with OutputLock(Path(sys.argv[1])):\n"
        "    print('held', flush=True); sys.stdin.read()\n")
# Takes OUT's lock and lets it go: exit 0, or the one-line refusal and exit 3.
TRY = ("import sys; from pathlib import Path; from framing.errors import InputError; from framing.outfile import OutputLock\n"
       "try:\n"
       "    with OutputLock(Path(sys.argv[1])):\n"
       "        pass\n"
       "except InputError as exc:\n"
       "    print(exc, file=sys.stderr); sys.exit(3)\n")


def hold(out: Path, **env) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, **env})
    assert proc.stdout.readline().strip() == "held"
    return proc


def try_lock(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRY, str(out)], capture_output=True, text=True, timeout=120)


def write_lock(out: Path, **holder) -> Path:
    path = out.with_name(out.name + ".lock")
    path.write_text(json.dumps(holder))
    return path


def test_a_second_process_is_refused_while_the_first_holds_the_lock(tmp_path):
    out = tmp_path / "out.jsonl"
    first = hold(out)
    try:
        second = try_lock(out)
        assert second.returncode == 3
        assert f"out.jsonl is being written by another run (host {HOST}, pid {first.pid}); wait for it" in second.stderr
    finally:
        first.communicate("", timeout=60)  # closing its stdin ends it
    assert first.returncode == 0
    assert not out.with_name("out.jsonl.lock").exists()
    assert try_lock(out).returncode == 0


def test_the_lock_of_a_killed_process_is_taken_over_at_once(tmp_path):
    out = tmp_path / "out.jsonl"
    first = hold(out)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert out.with_name("out.jsonl.lock").exists()  # kill -9 left it behind
    assert try_lock(out).returncode == 0


def test_a_lock_from_another_host_is_refused_until_its_lease_runs_out(tmp_path):
    out = tmp_path / "out.jsonl"
    lock = write_lock(out, host="other-node", pid=os.getpid(), renewed=f"{time.time():.3f}", lease=60, token="t")
    with pytest.raises(InputError, match=r"being written by another run \(host other-node, pid \d+\).*expires 60 s"):
        with OutputLock(out):
            pass
    write_lock(out, host="other-node", pid=os.getpid(), renewed=f"{time.time() - 61:.3f}", lease=60, token="t")
    with OutputLock(out):
        assert json.loads(lock.read_text())["host"] == HOST
    assert not lock.exists()


def test_a_dead_local_pid_is_taken_over_even_with_a_fresh_lease(tmp_path):
    out = tmp_path / "out.jsonl"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_lock(out, host=HOST, pid=gone.pid, renewed=f"{time.time():.3f}", lease=60, token="t")
    with OutputLock(out):
        pass


def renewed(lock: Path) -> float:
    while True:
        try:
            return float(json.loads(lock.read_text())["renewed"])
        except json.JSONDecodeError:  # read while the heartbeat rewrote it
            continue


def test_the_lease_is_renewed_while_the_lock_is_held(tmp_path):
    """What keeps other hosts out of a long run: its lease never runs out while it writes."""
    out = tmp_path / "out.jsonl"
    lock = out.with_name("out.jsonl.lock")
    first = hold(out, FRAMING_LOCK_LEASE="1.5")
    try:
        taken = renewed(lock)
        deadline = time.time() + 60  # a hang guard, not a timing bound
        while renewed(lock) <= taken + 1.5:
            assert time.time() < deadline, "the lease was not renewed"
            time.sleep(0.1)
        assert first.poll() is None
    finally:
        first.communicate("", timeout=60)


def test_a_lock_taken_over_by_another_run_is_not_removed_by_the_first(tmp_path):
    out = tmp_path / "out.jsonl"
    lock = out.with_name("out.jsonl.lock")
    with OutputLock(out):
        # as if this run's lease had run out and a run on another host had taken the lock over
        lock.unlink()
        write_lock(out, host="other-node", pid=1, renewed=f"{time.time():.3f}", lease=60, token="theirs")
    assert json.loads(lock.read_text())["token"] == "theirs"
