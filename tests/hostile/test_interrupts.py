"""Interrupted and constrained runs: kill -9 at random points then resume, a full disk, a
read-only target, and a killed `framing train` that must leave the old model in place."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TOY

N_RECORDS = 1200


def write_feed(folder: Path) -> tuple[list[str], set[str]]:
    """A feed mixing formats and bad records; returns the inputs and every id they must yield."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    with open(folder / "a.jsonl", "w") as f:
        for i in range(N_RECORDS):
            if i % 97 == 0:
                f.write("{broken\n")
                ids.add(f"a.jsonl:{i + 1}")
            else:
                f.write(json.dumps({"id": f"a{i}", "text": f"Item {i}. {TOY[i % len(TOY)][0]} Again {i % 13}."}) + "\n")
                ids.add(f"a{i}")
    pages = folder / "pages"
    pages.mkdir(exist_ok=True)
    for i in range(40):
        (pages / f"p{i}.txt").write_text(f"Page {i}. {TOY[i % len(TOY)][0]}\n")
        ids.add(f"p{i}.txt")
    return [str(folder / "a.jsonl"), str(pages)], ids


def batch_cmd(model, inputs, out, *extra):
    return [sys.executable, "-m", "framing", "batch", *inputs, "--out", str(out), "--model", str(model),
            "--batch-size", "8", "--quiet", *extra]


def records(out: Path) -> list[dict]:
    data = out.read_bytes()
    assert not data or data.endswith(b"\n"), "OUT must end at a record boundary"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kill_at_random_points_then_resume(toy_baseline_dir, tmp_path, seed):
    rng = random.Random(seed)
    inputs, expected = write_feed(tmp_path / "feed")
    out = tmp_path / "out.jsonl"
    kills = 0
    for attempt in range(6):
        cmd = batch_cmd(toy_baseline_dir, inputs, out, *(["--resume"] if attempt else []))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if attempt < 2:  # two kills per seed at random points, then a run to completion
            target = (out.stat().st_size if out.exists() else 0) + rng.randrange(1, 400_000)
            deadline = time.time() + 120
            while proc.poll() is None and time.time() < deadline and (not out.exists() or out.stat().st_size < target):
                time.sleep(rng.uniform(0.001, 0.05))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
        _, err = proc.communicate(timeout=300)
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, err.decode()
    assert kills >= 1, "no run was killed mid-way"
    recs = records(out)
    got = [r["id"] for r in recs]
    assert len(got) == len(set(got)), "duplicate records after resume"
    assert set(got) == expected, f"missing {sorted(expected - set(got))[:5]}"
    assert not Path(str(out) + ".lock").exists()


def _in_mount_namespace(script: str) -> subprocess.CompletedProcess:
    """Run a shell script as root in a private mount namespace (tmpfs and read-only mounts
    without touching the machine's mounts)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not available")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"can't create a mount namespace here: {probe.stderr.decode().strip()}")
    return subprocess.run(["unshare", "-m", "sh", "-ec", script], capture_output=True, text=True, timeout=600)


def test_full_disk_gives_a_clear_error_keeps_what_was_written_and_resumes(toy_baseline_dir, tmp_path):
    inputs, expected = write_feed(tmp_path / "feed")
    disk, kept = tmp_path / "disk", tmp_path / "kept.jsonl"
    disk.mkdir()
    cmd = " ".join(f"'{c}'" for c in batch_cmd(toy_baseline_dir, inputs, disk / "out.jsonl"))
    result = _in_mount_namespace(f"mount -t tmpfs -o size=300k tmpfs '{disk}'\n"
                                 f"set +e; {cmd} 2> '{tmp_path}/err.txt'; echo $? > '{tmp_path}/rc.txt'; set -e\n"
                                 f"cp '{disk}/out.jsonl' '{kept}'")
    assert result.returncode == 0, result.stderr
    err = (tmp_path / "err.txt").read_text()
    assert (tmp_path / "rc.txt").read_text().strip() == "2", err
    assert err.count("\n") == 1 and "no space left on device" in err.lower() and "--resume" in err and "Traceback" not in err
    partial = records(kept)  # valid JSONL, cut at a record boundary
    assert 0 < len(partial) < len(expected)
    done = subprocess.run(batch_cmd(toy_baseline_dir, inputs, kept, "--resume"), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    got = [r["id"] for r in records(kept)]
    assert len(got) == len(set(got)) and set(got) == expected


def test_read_only_output_is_a_clear_error_and_leaves_the_file_alone(toy_baseline_dir, tmp_path):
    inputs, _ = write_feed(tmp_path / "feed")
    target = tmp_path / "ro"
    target.mkdir()
    (target / "out.jsonl").write_text(json.dumps({"id": "a1", "status": "scored"}) + "\n")
    before = (target / "out.jsonl").read_bytes()
    fresh = " ".join(f"'{c}'" for c in batch_cmd(toy_baseline_dir, inputs, target / "new.jsonl"))
    resume = " ".join(f"'{c}'" for c in batch_cmd(toy_baseline_dir, inputs, target / "out.jsonl", "--resume"))
    result = _in_mount_namespace(f"mount --bind '{target}' '{target}'; mount -o remount,bind,ro '{target}'\n"
                                 f"set +e; {fresh} 2> '{tmp_path}/e1'; echo $? > '{tmp_path}/r1'\n"
                                 f"{resume} 2> '{tmp_path}/e2'; echo $? > '{tmp_path}/r2'")
    assert result.returncode == 0, result.stderr
    for n in ("1", "2"):
        err = (tmp_path / f"e{n}").read_text()
        assert (tmp_path / f"r{n}").read_text().strip() == "2", err
        assert err.count("\n") == 1 and "read-only" in err.lower() and "Traceback" not in err
    assert (target / "out.jsonl").read_bytes() == before
    assert not (target / "new.jsonl").exists()


# --- framing train: atomic model writes -------------------------------------------------

def toy_dataset_dict():
    import datasets

    from framing.taxonomy import load_taxonomy

    ids = load_taxonomy().ids
    tech = [load_taxonomy().family_of(x) == "technique" for x in ids]

    def rows(source, unit, n):
        out = []
        for i, (text, labels) in enumerate((TOY * 3)[:n]):
            out.append({"source": source, "doc_id": f"d{i % 7}", "unit": unit, "start": 0, "end": len(text),
                        "text": text, "labels": [int(x in labels) for x in ids], "mask": [int(t) for t in tech]})
        return out

    dd = datasets.DatasetDict({"train": datasets.Dataset.from_list(rows("ptc", "sentence", 80)),
                               "dev": datasets.Dataset.from_list(rows("ptc", "sentence", 40)),
                               "test": datasets.Dataset.from_list(rows("semeval2023", "region", 40))})
    dd.fingerprint_ = "toy"
    return dd


def _train_child(out: str, die_at: str | None):
    """Train the baseline on the toy dataset; with die_at, the process is killed (os._exit,
    no cleanup, like kill -9) at that point of writing the model."""
    import framing.dataset
    import framing.manifest
    import framing.models.baseline
    import framing.training
    from framing.models.baseline import BaselineSettings

    framing.dataset.load_dataset_dict = lambda *a, **k: toy_dataset_dict()
    calls = {"n": 0}

    def dying(original, name):
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            calls["n"] += 1
            if name == die_at or (die_at == "second-manifest" and name == "manifest" and calls["n"] == 3):
                os._exit(137)
            return result
        return wrapper

    save = framing.models.baseline.BaselineModel.save
    framing.models.baseline.BaselineModel.save = dying(save, "weights")
    framing.training.write_manifest = dying(framing.manifest.write_manifest, "manifest")
    framing.training.train_baseline(out, settings=BaselineSettings(min_df=1, max_word_features=200,
                                                                     max_char_features=200),
                                    with_fragments=False)  # the toy dataset only, no corpora needed


def _tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + file.read_bytes())
    return digest.hexdigest()


def _run_child(out, die_at):
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=_train_child, args=(str(out), die_at))
    proc.start()
    proc.join(300)
    return proc.exitcode


@pytest.mark.parametrize("die_at", ["weights", "manifest", "second-manifest"])
def test_killed_train_leaves_the_old_model_in_place(tmp_path, die_at):
    from framing.inference import Classifier

    out = tmp_path / "models" / "baseline"
    assert _run_child(out, None) == 0
    old = _tree_digest(out)
    assert _run_child(out, die_at) == 137
    assert _tree_digest(out) == old  # untouched, and still loads
    Classifier.load(out).predict(["The corrupt elite lied."])
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")]  # the killed run's partial folder
    assert _run_child(out, None) == 0  # the next run replaces the model and clears the leftovers
    assert [p.name for p in out.parent.iterdir()] == ["baseline"]
    Classifier.load(out)


def test_publish_interrupted_between_renames_is_recovered(tmp_path):
    from framing.atomic import atomic_dir, recover

    out = tmp_path / "model"
    out.mkdir()
    (out / "framing.json").write_text("old")
    # what a run killed between its two renames leaves: the old model moved aside, nothing at OUT
    dead_pid = 2**22 + 12345
    os.rename(out, tmp_path / f".model.old-{dead_pid}")
    (tmp_path / f".model.partial-{dead_pid}").mkdir()
    recover(out)
    assert (out / "framing.json").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    with atomic_dir(out) as tmp:
        (tmp / "framing.json").write_text("new")
    assert (out / "framing.json").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]
