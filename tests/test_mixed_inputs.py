"""One folder of every input kind, through `framing batch`, `framing score` and the Ray engine:
one record per item, error records for the bad ones, nothing silently dropped, and a summary
that adds up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.readers import KINDS, accepted_kinds, iter_items
from tests.test_feeds import write_warc

runner = CliRunner()
ARTICLE = "Russia and China signed a new energy deal. The corrupt elite lied to us again!"


def crawl_folder(root: Path) -> dict[str, str]:
    """The folder of the input-stack issue; returns {item id: expected status}."""
    root.mkdir()
    with open(root / "feed.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "j1", "text": ARTICLE}) + "\n")
        f.write("{broken json\n")
        f.write(json.dumps({"id": "j-empty", "text": ""}) + "\n")
        f.write(json.dumps({"id": "j2", "text": "The committee met on Tuesday. It discussed the budget."}) + "\n")
    (root / "table.csv").write_text('id,text\nc1,"A sentence from a CSV file. Another one."\n', encoding="utf-8")
    (root / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        '<item><guid>r1</guid><title>R1</title><link>http://r/1</link>'
        '<description>&lt;p&gt;Feed item body about the summit.&lt;/p&gt;</description></item>'
        '<item><guid>r2</guid><title>R2</title></item></channel></rss>', encoding="utf-8")
    write_warc(root / "crawl.warc.gz", [("http://w/1", b"<html><body><article><p>" + b"A crawled page about the summit in "
                                         b"Beijing, where leaders discussed trade and energy. " * 3
                                         + b"</p></article></body></html>", "text/html; charset=utf-8")])
    (root / "pages").mkdir()
    (root / "pages" / "page.html").write_text(
        "<html><body><article><p>" + "Officials in Moscow and Beijing met to discuss trade and energy. " * 3
        + "</p></article></body></html>", encoding="utf-8")
    (root / "pages" / "note.txt").write_text("A plain text article. It has two sentences.", encoding="utf-8")
    (root / "junk.bin").write_bytes(bytes(range(256)) * 8)
    (root / ".hidden").write_text("not an input", encoding="utf-8")
    return {"j1": "scored", "feed.jsonl:2": "error", "j-empty": "error", "j2": "scored", "c1": "scored",
            "r1": "scored", "r2": "error", "http://w/1": "scored", "pages/page.html": "scored",
            "pages/note.txt": "scored", "junk.bin": "error"}


def test_every_kind_in_a_folder_is_read_and_unknown_files_are_error_records(tmp_path):
    expected = crawl_folder(tmp_path / "crawl")
    items = list(iter_items([tmp_path / "crawl"]))
    assert sorted(i.id for i in items) == sorted(expected)  # nothing dropped, the hidden file is not an input
    junk = next(i for i in items if i.id == "junk.bin")
    assert "unknown input kind" in junk.error and all(kind.name in junk.error for kind in KINDS)
    assert accepted_kinds() in junk.error


def test_batch_and_score_on_a_mixed_folder_give_the_same_items(toy_baseline_dir, tmp_path):
    expected = crawl_folder(tmp_path / "crawl")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["batch", str(tmp_path / "crawl"), "--out", str(out), "--model", str(toy_baseline_dir),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r["status"] for r in records} == expected and len(records) == len(expected)
    assert all(r["error"] and "\n" not in r["error"] for r in records if r["status"] == "error")
    summary = json.loads(result.stderr.strip().splitlines()[-1])["summary"]
    assert summary["items"] == len(expected) == summary["scored"] + summary["duplicate"] + summary["failed"]
    assert summary["failed"] == list(expected.values()).count("error")

    scored = runner.invoke(app, ["score", str(tmp_path / "crawl"), "--format", "json", "--model", str(toy_baseline_dir)])
    assert scored.exit_code == 0, scored.output
    docs = [json.loads(line) for line in scored.stdout.splitlines()]
    assert [(d["id"], d["status"]) for d in docs] == [(r["id"], r["status"]) for r in records]  # same items, same order
    by_id = {r["id"]: r for r in records}
    for doc in docs:
        if doc["status"] == "scored":
            assert [s["text"] for s in doc["sentences"]] == [s["text"] for s in by_id[doc["id"]]["sentences"]]
        else:
            assert doc["error"] == by_id[doc["id"]]["error"]
    assert "scored 7, failed 4 (of 11 input items)" in scored.stderr


def test_score_reads_jsonl_and_html_from_standard_input(toy_baseline_dir):
    lines = json.dumps({"id": "s1", "text": ARTICLE}) + "\n" + json.dumps({"id": "s2", "text": "Short one."}) + "\n"
    result = runner.invoke(app, ["score", "-", "--format", "json", "--model", str(toy_baseline_dir)], input=lines)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["s1", "s2"]
    page = "<!DOCTYPE html><html><body><article><p>" + "The summit in Beijing discussed energy and trade. " * 3 + "</p>"
    result = runner.invoke(app, ["score", "-", "--format", "json", "--model", str(toy_baseline_dir)],
                           input=page + "<script>alert(1)</script></article></body></html>")
    [doc] = [json.loads(line) for line in result.stdout.splitlines()]
    assert doc["id"] == "<stdin>" and "alert" not in " ".join(s["text"] for s in doc["sentences"])


@pytest.mark.ray
def test_ray_engine_reads_the_mixed_folder_like_the_local_engine(toy_baseline_dir, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'framing[ray]')")
    from framing.batch import run_batch
    from framing.inference import Classifier
    from framing.ray_engine import run_ray_batch

    expected = crawl_folder(tmp_path / "crawl")
    run_batch([tmp_path / "crawl"], tmp_path / "local.jsonl", Classifier.load(toy_baseline_dir), progress=False)
    local = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()]
    try:
        summary = run_ray_batch([tmp_path / "crawl"], tmp_path / "ray-out", str(toy_baseline_dir), progress=False)
    finally:
        ray.shutdown()
    shards = sorted((tmp_path / "ray-out").glob("part-*.jsonl"))
    remote = [json.loads(line) for shard in shards for line in shard.read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r["status"] for r in remote} == expected
    by_id = {r["id"]: r for r in local}
    for rec in remote:
        assert rec.keys() == by_id[rec["id"]].keys()
        assert rec.get("error") == by_id[rec["id"]].get("error")
    assert summary["scored"] + summary["duplicate"] + summary["error"] == len(expected)
