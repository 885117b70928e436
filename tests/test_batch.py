import json
import os
import signal
import subprocess
import sys
import time

import pytest

from framing.batch import BatchScorer, propaganda_index
from framing.errors import InputError
from framing.inference import Classifier
from framing.readers import iter_items

ARTICLE = "Russia and China signed a new energy deal. The corrupt elite lied to us again!\n\nLeave a Reply"


def make_feed(root):
    """A small mixed feed with broken records of every kind the issue names."""
    root.mkdir(exist_ok=True)
    with open(root / "a.jsonl", "wb") as f:
        f.write(json.dumps({"id": "j1", "url": "http://x/1", "title": "T1", "text": ARTICLE}).encode() + b"\n")
        f.write(b"{not json\n")
        f.write(json.dumps({"id": "j2", "text": "   "}).encode() + b"\n")
        f.write(b'{"id": "j3", "text": "caf\xe9"}\n')  # undecodable bytes
        f.write(json.dumps({"id": "j4", "text": ARTICLE}).encode() + b"\n")  # exact duplicate of j1
        f.write(json.dumps({"id": "j5", "html": "<html><body><script>x()</script></body></html>"}).encode() + b"\n")
        f.write(b'{"id": "huge", "text": "' + b"a" * 3000 + b'"}\n')  # over the test's record limit
        f.write(json.dumps({"id": "j6", "text": "The committee met on Tuesday. It discussed the budget."}).encode() + b"\n")
    (root / "b.csv").write_text('id,url,title,text\nc1,http://y,Title,"A normal sentence. Another one."\n', encoding="utf-8")
    html = root / "pages"
    html.mkdir(exist_ok=True)
    (html / "p.html").write_text(
        "<html><head><title>X</title></head><body><nav>Home | About</nav><article><h1>Big news</h1><p>"
        + "Officials in Moscow and Beijing met on Tuesday to discuss trade, energy and transport links. " * 3
        + "</p><p>The talks will continue next month in Shanghai, a spokesman said.</p></article></body></html>",
        encoding="utf-8")
    (html / "t.txt").write_text("A plain text article. It has two sentences.", encoding="utf-8")
    (root / "f.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        '<item><guid>r1</guid><title>R1</title><link>http://r/1</link>'
        '<description>&lt;p&gt;Feed item body with one sentence.&lt;/p&gt;</description></item>'
        '</channel></rss>', encoding="utf-8")
    from tests.test_feeds import write_warc

    write_warc(root / "crawl.warc.gz", [("http://w/1", b"<html><body><article><p>" + b"A crawled page about the summit in "
                                         b"Beijing, where leaders discussed trade and energy. " * 3
                                         + b"</p></article></body></html>", "text/html; charset=utf-8")])
    (root / "corrupt.warc.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    return [str(root / "a.jsonl"), str(root / "b.csv"), str(html), str(root / "f.rss"), str(root / "crawl.warc.gz"),
            str(root / "corrupt.warc.gz")]


def run(clf, inputs, out, **kw):
    import framing.readers.formats as formats

    old = formats.MAX_DOCUMENT_BYTES
    formats.MAX_DOCUMENT_BYTES = 2000
    try:
        items = iter_items(inputs)
        return BatchScorer(clf, chunk_articles=kw.pop("chunk", 3), workers=2).run(items, out, **kw)
    finally:
        formats.MAX_DOCUMENT_BYTES = old


def read(out):
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_mixed_feed_every_input_gets_one_record(toy_baseline_dir, tmp_path):
    clf = Classifier.load(toy_baseline_dir)
    inputs = make_feed(tmp_path / "feed")
    out = tmp_path / "out.jsonl"
    summary = run(clf, inputs, out, progress=False)
    recs = {r["id"]: r for r in read(out)}
    assert len(recs) == len(read(out))  # each id once
    assert recs["j1"]["status"] == "scored" and recs["j1"]["url"] == "http://x/1"
    assert recs["a.jsonl:2"]["status"] == "error" and "invalid JSON" in recs["a.jsonl:2"]["error"]
    assert "empty" in recs["j2"]["error"]
    assert "not valid UTF-8" in recs["a.jsonl:4"]["error"]
    assert recs["j4"]["status"] == "duplicate" and recs["j4"]["duplicate_of"] == "j1"
    assert "no main text" in recs["j5"]["error"]
    assert "longer than" in recs["a.jsonl:7"]["error"]
    for key in ("c1", "p.html", "t.txt", "r1", "http://w/1"):
        assert recs[key]["status"] == "scored", key
    assert recs["corrupt.warc.gz"]["status"] == "error" and "WARC" in recs["corrupt.warc.gz"]["error"]
    assert summary.failed == 6 and summary.duplicate == 1 and summary.scored == 7
    j1 = recs["j1"]
    assert [s["skipped"] for s in j1["sentences"]] == [None, None, "comment-form"]
    assert j1["n_scored"] == 2 and set(j1["aggregates"]) == set(clf.labels)
    agg = j1["aggregates"]["loaded-language"]
    assert agg["count"] == sum("loaded-language" in s["labels"] for s in j1["sentences"])
    assert 0 <= j1["propaganda_index"] <= 100


def test_identical_sentences_are_scored_once(toy_baseline_dir, tmp_path):
    calls = []
    clf = Classifier.load(toy_baseline_dir)
    real = clf.backend.predict_outputs
    clf.backend.predict_outputs = lambda texts: calls.append(list(texts)) or real(texts)
    feed = tmp_path / "f.jsonl"
    with open(feed, "w") as f:
        for i in range(10):
            text = f"Article number {i} is here. Subscribe to our great newsletter now."
            f.write(json.dumps({"id": f"a{i}", "text": text}) + "\n")
    run(clf, [str(feed)], tmp_path / "o.jsonl", progress=False, chunk=4)
    sent = [t for c in calls for t in c]
    assert sent.count("Subscribe to our great newsletter now.") == 1
    assert len(sent) == 11


def test_resume_skips_written_ids_and_refuses_overwrite(toy_baseline_dir, tmp_path):
    clf = Classifier.load(toy_baseline_dir)
    inputs = make_feed(tmp_path / "feed")
    out = tmp_path / "out.jsonl"
    run(clf, inputs[:1], out, progress=False)
    first = read(out)
    with pytest.raises(InputError, match="--resume"):
        run(clf, inputs, out, progress=False)
    with open(out, "a") as f:
        f.write('{"id": "torn')  # a half-written line from a killed run
    summary = run(clf, inputs, out, progress=False, resume=True)
    ids = [r["id"] for r in read(out)]
    assert len(ids) == len(set(ids)) and ids[: len(first)] == [r["id"] for r in first]
    assert summary.resumed_skip == len(first)
    assert {"c1", "p.html", "r1"} <= set(ids)


def test_live_lock_refuses_a_second_run(toy_baseline_dir, tmp_path):
    clf = Classifier.load(toy_baseline_dir)
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.lock").write_text(str(os.getpid()))  # this process is alive
    with pytest.raises(InputError, match="another run"):
        run(clf, make_feed(tmp_path / "feed"), out, progress=False)
    (tmp_path / "out.jsonl.lock").write_text("999999999")  # a dead writer's stale lock is taken over
    run(clf, make_feed(tmp_path / "feed"), out, progress=False)
    assert not (tmp_path / "out.jsonl.lock").exists()


def test_kill_9_then_resume_gives_every_id_exactly_once(toy_baseline_dir, tmp_path):
    feed = tmp_path / "big.jsonl"
    n = 3000
    with open(feed, "w") as f:
        for i in range(n):
            text = f"Sentence {i} about the budget. The corrupt elite lied {i} times!"
            f.write(json.dumps({"id": f"a{i}", "text": text}) + "\n")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "framing", "batch", str(feed), "--out", str(out), "--model", str(toy_baseline_dir),
           "--batch-size", "8", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = out.read_text().count("\n")
    assert 0 < partial < n, "the run should have been killed mid-way"
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(f"a{i}" for i in range(n))


def test_propaganda_index_formula():
    assert propaganda_index(0, 0) == 0.0
    assert propaganda_index(1, 4) == 25.0


def test_cli_batch_and_parquet(toy_baseline_dir, tmp_path):
    from typer.testing import CliRunner

    from framing.cli import app

    inputs = make_feed(tmp_path / "feed")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["batch", *inputs, "--out", str(out), "--model", str(toy_baseline_dir),
                                      "--format", "parquet", "--quiet"])
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert "j1" in table.column("id").to_pylist() and "record" in table.column_names
    summary = json.loads(result.stderr.strip().splitlines()[-1])["summary"]
    assert summary["scored"] >= 5
