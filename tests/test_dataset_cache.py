"""The dataset cache (`framing data stats --rebuild` and every command that loads the dataset):
built once, replaced atomically, safe when processes rebuild at once. A tiny synthetic
DatasetDict stands in for the corpora."""

from __future__ import annotations

import threading

import pytest

from framing.dataset_cache import POINTER_SUFFIX, current, load_or_build


def builder(tag: str, calls: list | None = None):
    def build():
        import datasets

        if calls is not None:
            calls.append(tag)
        rows = [{"text": f"{tag} {i}", "labels": [i % 2]} for i in range(3)]
        return datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)})

    return build


def builds(base, key="fp"):
    return sorted(p.name for p in base.glob(f"{key}.v-*"))


def test_built_once_then_read_from_the_cache(tmp_path):
    calls = []
    first = load_or_build(tmp_path, "fp", builder("a", calls))
    again = load_or_build(tmp_path, "fp", builder("b", calls))
    assert calls == ["a"] and again["train"]["text"] == first["train"]["text"] == ["a 0", "a 1", "a 2"]


def test_rebuild_replaces_the_cache_and_leaves_one_build(tmp_path):
    load_or_build(tmp_path, "fp", builder("a"))
    old = current(tmp_path, "fp")
    for tag in ("b", "c"):
        dd = load_or_build(tmp_path, "fp", builder(tag), rebuild=True)
        assert dd["train"]["text"][0] == f"{tag} 0"
    assert not old.exists() and builds(tmp_path) == [current(tmp_path, "fp").name]
    assert load_or_build(tmp_path, "fp", builder("never"))["train"]["text"][0] == "c 0"
    assert load_or_build(tmp_path, "other", builder("x"))["train"]["text"][0] == "x 0"  # keys don't mix


def test_rebuild_over_a_cache_of_the_unversioned_layout(tmp_path):
    """The folder that made `--rebuild` fail (a non-empty KEY/ of earlier versions) is read while it
    is the cache, and replaced by a rebuild without an error."""
    builder("legacy")().save_to_disk(str(tmp_path / "fp"))
    assert load_or_build(tmp_path, "fp", builder("new"))["train"]["text"][0] == "legacy 0"
    assert load_or_build(tmp_path, "fp", builder("new"), rebuild=True)["train"]["text"][0] == "new 0"
    assert not (tmp_path / "fp").exists() and (tmp_path / f"fp{POINTER_SUFFIX}").is_file()


def test_a_damaged_or_half_written_cache_is_rebuilt(tmp_path):
    load_or_build(tmp_path, "fp", builder("a"))
    for arrow in current(tmp_path, "fp").rglob("*.arrow"):
        arrow.write_bytes(b"not arrow")
    assert load_or_build(tmp_path, "fp", builder("b"))["train"]["text"][0] == "b 0"
    (tmp_path / "fp.v-somehost-1-dead").mkdir()  # another host's build in progress: not ours to judge
    (tmp_path / f"fp{POINTER_SUFFIX}").write_text("fp.v-gone")  # a pointer to nothing is no cache
    assert load_or_build(tmp_path, "fp", builder("c"))["train"]["text"][0] == "c 0"
    assert "fp.v-somehost-1-dead" in builds(tmp_path)


def test_a_killed_builds_leftover_is_deleted_by_the_next_rebuild(tmp_path):
    import socket

    load_or_build(tmp_path, "fp", builder("a"))
    leftover = tmp_path / f"fp.v-{socket.gethostname()}-999999999-cafe"  # no such pid
    leftover.mkdir()
    load_or_build(tmp_path, "fp", builder("b"), rebuild=True)
    assert not leftover.exists()


def test_concurrent_rebuilds_and_reads_never_fail(tmp_path):
    load_or_build(tmp_path, "fp", builder("start"))
    errors = []

    def work(tag, rebuild):
        try:
            for _ in range(4):
                dd = load_or_build(tmp_path, "fp", builder(tag), rebuild=rebuild)
                assert len(dd["train"]) == 3
        except Exception as exc:  # noqa: BLE001 - any failure of any thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}", i < 3)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = load_or_build(tmp_path, "fp", builder("never"))
    assert final["train"]["text"][0] in {"w0 0", "w1 0", "w2 0"}


@pytest.mark.parametrize("name", ["fp.v-a-b-c-12-ff", "fp.v-host-x-ff"])
def test_sweep_reads_hostnames_with_dashes_and_skips_odd_names(tmp_path, name):
    load_or_build(tmp_path, "fp", builder("a"))
    (tmp_path / name).mkdir()
    load_or_build(tmp_path, "fp", builder("b"), rebuild=True)
    assert (tmp_path / name).exists()  # another host's (a-b-c) or no pid at all: kept
