"""Inputs that are not regular files are read with the caps enforced while reading: a device
(/dev/zero), an anonymous pipe (`framing score <(curl ...)`) and a named pipe, with and without
a writer. Each ends with a one-line error naming the cap or the wait, or is scored; memory stays
far below the input's size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

GUARD_S = 300  # hang guard only; nothing here asserts a timing
ENV = {**os.environ, "FRAMING_PIPE_WAIT_S": "2"}


# Runs framing in a child of its own and prints that child's peak RSS on the last stderr line, so
# the figure is framing's alone (RUSAGE_CHILDREN of the test process covers every earlier child).
_MEASURED = ("import resource, subprocess, sys\n"
             "code = subprocess.run([sys.executable, '-m', 'framing', *sys.argv[1:]], close_fds=False).returncode\n"
             "print(f'peak_rss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
             "sys.exit(code)")


def framing(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True, timeout=GUARD_S,
                          env=ENV, **kw)


def peak_rss_mb(result: subprocess.CompletedProcess) -> float:
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("peak_rss_kib="), last
    return int(last.split("=")[1]) / 1024


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_score_dev_zero_ends_with_the_cap_in_one_line(toy_baseline_dir):
    result = framing("score", "/dev/zero", "--model", str(toy_baseline_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("framing: zero:")]
    assert "10 MB document limit" in line and "FRAMING_MAX_DOC_BYTES" in line
    assert peak_rss_mb(result) < 1024


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_batch_dev_zero_writes_an_error_record_naming_the_cap(toy_baseline_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    result = framing("batch", "/dev/zero", "--out", str(out), "--model", str(toy_baseline_dir), "--quiet")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["status"] == "error" and "document limit" in record["error"] and record["source"] == "/dev/zero"
    assert "nothing could be scored" in result.stderr and "document limit" in result.stderr
    assert peak_rss_mb(result) < 1024


def test_an_endless_pipe_is_cut_at_the_cap_and_a_short_one_is_scored(toy_baseline_dir):
    endless = subprocess.Popen([sys.executable, "-c", "import sys\nwhile True: sys.stdout.buffer.write(b'word ' * 4096)"],
                               stdout=subprocess.PIPE)
    try:
        fd = endless.stdout.fileno()
        result = framing("score", f"/dev/fd/{fd}", "--model", str(toy_baseline_dir), pass_fds=(fd,))
    finally:
        endless.kill()
        endless.wait()
    assert result.returncode == 1 and "document limit" in result.stderr

    read_end, write_end = os.pipe()
    os.write(write_end, b"A short article from a pipe. The corrupt elite lied again!")
    os.close(write_end)
    try:
        result = framing("score", f"/dev/fd/{read_end}", "--format", "jsonl", "--model", str(toy_baseline_dir),
                         pass_fds=(read_end,))
    finally:
        os.close(read_end)
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["text"] for x in result.stdout.splitlines()] == [
        "A short article from a pipe.", "The corrupt elite lied again!"]


def test_a_named_pipe_without_writer_is_refused_and_with_one_is_read(toy_baseline_dir, tmp_path):
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    result = framing("score", str(fifo), "--model", str(toy_baseline_dir))
    assert result.returncode == 1 and "named pipe" in result.stderr and "FRAMING_PIPE_WAIT_S" in result.stderr

    def write():
        with open(fifo, "w") as handle:  # blocks until framing opens the pipe for reading
            handle.write(json.dumps({"id": "p1", "text": "Sent through a named pipe."}) + "\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = framing("score", str(fifo), "--format", "json", "--model", str(toy_baseline_dir))
    writer.join(timeout=GUARD_S)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "p1"  # a .jsonl named pipe is read as JSONL
