"""Every hostile input through `framing score` and `framing batch`, all in one run each: no
traceback, a clear error or error record for the bad ones, and the good ones still scored."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.hostile.corpus import GOOD, make_corpus
from tests.hostile.expectations import FEEDS, SCORED, TEXT

# Hang guard only (a wedged reader must fail the suite, not stall CI); timings live in
# benchmarks/reliability.py.
GUARD_S = 600


def framing(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "framing", *args], capture_output=True, text=True, timeout=GUARD_S)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return {"text": make_corpus(root / "text", "text"), "feeds": make_corpus(root / "feeds", "feeds"), "root": root}


def check(outcome: str, status: str, error: str | None, name: str) -> None:
    if outcome == SCORED:
        assert status == "scored", f"{name}: expected scored, got {error}"
    else:
        assert status == "error" and outcome in error, f"{name}: expected error containing {outcome!r}, got {error!r}"


def test_score_every_hostile_document_in_one_run(corpus):
    paths = [str(corpus["text"][name][0]) for name in TEXT]
    result = framing("score", *paths, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == paths  # one line per input, in argument order
    for name, line in zip(TEXT, lines):
        check(TEXT[name], line["status"], line.get("error"), name)
        assert "error" not in line or "\n" not in line["error"]  # one-line reasons
    docs = dict(zip(TEXT, lines))
    good = [s["text"] for s in docs["good.txt"]["sentences"]]
    assert good == [t for t in GOOD.splitlines()]
    assert [s["text"] for s in docs["utf16-bom.txt"]["sentences"]] == good
    script = " ".join(s["text"] for s in docs["script.html"]["sentences"])
    assert "alert" not in script and "document.write" not in script and "strategic partnership" in script
    long = docs["one-sentence-1mb.txt"]["sentences"]
    assert max(s["end"] - s["start"] for s in long) <= 20_000 and sum(len(s["text"]) for s in long) > 1_000_000 - 100


def test_batch_every_hostile_input_in_one_run(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    feeds = [str(corpus["feeds"][name][0]) for name in FEEDS]
    result = framing("batch", str(corpus["root"] / "text"), *feeds, "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(records), "every record id appears once"
    for name, outcome in TEXT.items():  # the text folder: ids are the file names
        status = "scored" if by_id[name]["status"] in ("scored", "duplicate") else by_id[name]["status"]
        check(outcome, status, by_id[name].get("error"), name)
    assert by_id["utf16-bom.txt"]["status"] == "duplicate"  # same text as good.txt once decoded
    for feed, expected in FEEDS.items():
        for rec_id, outcome in expected.items():
            assert rec_id in by_id, f"{feed}: no record {rec_id}"
            rec = by_id[rec_id]
            status = "scored" if rec["status"] in ("scored", "duplicate") else rec["status"]
            check(outcome, status, rec.get("error"), f"{feed}:{rec_id}")
    surrogate = " ".join(s["text"] for s in by_id["j-surrogate"]["sentences"])
    assert "\ufffd" in surrogate and "The West lies." in surrogate
    summary = json.loads(result.stderr.strip().splitlines()[-1])["summary"]
    assert summary["scored"] + summary["duplicate"] + summary["failed"] == len(records)


def test_stdin_over_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    big = b"word " * (11 * 1024 * 1024 // 5)
    result = subprocess.run([sys.executable, "-m", "framing", "score", "-"], input=big, capture_output=True,
                            timeout=GUARD_S)
    assert result.returncode == 1
    assert b"document limit" in result.stderr and b"Traceback" not in result.stderr


def test_batch_output_parent_folder_is_created(corpus, tmp_path):
    out = tmp_path / "new" / "deeper" / "out.jsonl"
    result = framing("batch", str(corpus["text"]["good.txt"][0]), "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["status"] == "scored"
