"""`framing batch --engine ray` on a local 2-CPU Ray instance: the same records as the local
engine, error records included; resume after kill -9; a hint when Ray is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framing.batch import run_batch
from framing.errors import InputError
from framing.inference import Classifier
from tests.hostile.test_interrupts import write_feed

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'framing[ray]')")

from framing.ray_engine import parse_actors, run_ray_batch  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def local_ray():
    # "local": a cluster file left in Ray's temp folder by an earlier `ray start` must not be attached to
    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)  # 2 cores, 1 extra token for feeders
    yield
    ray.shutdown()


def mixed_feed(folder: Path) -> list[str]:
    """JSONL with bad lines, a folder of pages, a CSV, a cut WARC, ids repeated across files and
    texts repeated under different ids (duplicates)."""
    inputs, _ = write_feed(folder)
    from tests.hostile.corpus import feed_cases

    cases = feed_cases()
    for name in ("quotes.csv", "truncated.warc", "bomb.rss"):
        (folder / name).write_bytes(cases[name][0])
    with open(folder / "again.jsonl", "w") as f:
        f.write(json.dumps({"id": "a1", "text": "Reused id, new text about hegemony."}) + "\n")
        f.write(json.dumps({"id": "copy-of-a2", "text": "Item 2. " + "x"}) + "\n")
        f.write("not json\n")
    return [*inputs, str(folder / "quotes.csv"), str(folder / "truncated.warc"), str(folder / "bomb.rss"),
            str(folder / "again.jsonl"), str(folder / "missing.jsonl")]


def local_records(model, inputs, out) -> list[dict]:
    run_batch(inputs, out, Classifier.load(model), progress=False)
    return [json.loads(line) for line in Path(out).read_text(encoding="utf-8").splitlines()]


def ray_records(out: Path) -> list[dict]:
    return [json.loads(line) for shard in sorted(out.glob("part-*.jsonl"))
            for line in shard.read_text(encoding="utf-8").splitlines()]


def canonical(records) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def test_both_engines_write_the_same_records(local_ray, toy_baseline_dir, tmp_path):
    inputs = mixed_feed(tmp_path / "feed")
    local = local_records(toy_baseline_dir, inputs, tmp_path / "local.jsonl")
    summary = run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), actors=(2, 2), batch_size=64,
                            progress=False, parquet=True)
    remote = ray_records(tmp_path / "ray")
    assert canonical(remote) == canonical(local)
    statuses = {r["status"] for r in remote}
    assert statuses == {"scored", "duplicate", "error"}
    assert "a1#2" in {r["id"] for r in remote}
    assert summary["error"] == sum(r["status"] == "error" for r in local)
    assert len(list((tmp_path / "ray").glob("part-*.parquet"))) == summary["shards"]


def test_resume_skips_what_the_shards_hold(local_ray, toy_baseline_dir, tmp_path):
    inputs = mixed_feed(tmp_path / "feed")
    out = tmp_path / "ray"
    run_ray_batch(inputs, out, str(toy_baseline_dir), batch_size=64, progress=False)
    shards = sorted(out.glob("part-*.jsonl"))
    for shard in shards[::2]:  # as if the run had died before writing these
        shard.unlink()
    (out / "part-9999999999-deadbeef.jsonl.tmp").write_text('{"id": "torn"')
    with pytest.raises(InputError):
        run_ray_batch(inputs, out, str(toy_baseline_dir), progress=False)  # no --resume: refuse
    summary = run_ray_batch(inputs, out, str(toy_baseline_dir), batch_size=64, progress=False, resume=True)
    assert summary["resumed_skip"] > 0 and summary["written_this_run"] > 0
    local = local_records(toy_baseline_dir, inputs, tmp_path / "local.jsonl")
    assert canonical(ray_records(out)) == canonical(local)
    assert not list(out.glob("*.tmp"))


def test_kill_9_then_resume_under_ray(toy_baseline_dir, tmp_path):
    inputs = mixed_feed(tmp_path / "feed")
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "framing", "batch", *inputs, "--out", str(out), "--engine", "ray",
           "--model", str(toy_baseline_dir), "--batch-size", "16", "--quiet"]
    # its own session, so kill -9 takes the driver and the Ray processes it started
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and len(list(out.glob("part-*.jsonl"))) < 5:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    local = local_records(toy_baseline_dir, inputs, tmp_path / "local.jsonl")
    ids = [r["id"] for r in ray_records(out)]
    assert len(ids) == len(set(ids))
    assert canonical(ray_records(out)) == canonical(local)


def test_asking_for_gpus_the_cluster_lacks_is_an_error_not_a_hang(local_ray, toy_baseline_dir, tmp_path):
    inputs = mixed_feed(tmp_path / "feed")
    with pytest.raises(InputError, match="GPUs, but the Ray cluster has 0"):
        run_ray_batch(inputs, tmp_path / "ray", str(toy_baseline_dir), gpus_per_actor=1, progress=False)


def test_parse_actors():
    assert parse_actors("2") == (2, 2) and parse_actors("1-4") == (1, 4)
    for bad in ("0", "3-1", "x", "1-"):
        if bad == "1-":
            assert parse_actors(bad) == (1, 1)
            continue
        with pytest.raises(InputError):
            parse_actors(bad)


def test_without_ray_the_cli_gives_a_one_line_hint(tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from framing.cli import main; "
            "sys.argv = ['framing', 'batch', sys.argv[1], '--out', sys.argv[2], '--engine', 'ray']; main()")
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "text": "Hello."}) + "\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.jsonl"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "pip install 'framing[ray]'" in done.stderr
