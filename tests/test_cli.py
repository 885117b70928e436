import json

import pytest
from typer.testing import CliRunner

from framing.cli import app
from tests.conftest import REPO

runner = CliRunner()
SEEDS = REPO / "seeds"


def test_score_seeds_with_the_shipped_model_marks_boilerplate_skipped():
    result = runner.invoke(app, ["score", str(SEEDS), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["doc"].split("/")[-1] for r in records} == {p.name for p in SEEDS.glob("*.txt")}
    by_text = {}
    for r in records:
        assert set(r) >= {"doc", "index", "start", "end", "text", "labels", "scores", "skipped", "spans"}
        by_text.setdefault(r["text"], []).append(r)
    assert all(r["skipped"] == "banner" for r in by_text["Support Russia Insider - Go Ad-Free!"])
    assert all(r["skipped"] for r in by_text["Leave a Reply"])
    assert all(r["skipped"] and r["scores"] is None for r in by_text["Fill in your details below or click an icon to log in:"])
    scored = [r for r in records if not r["skipped"]]
    assert len(scored) > 100
    for r in scored:
        text = (SEEDS / r["doc"].split("/")[-1]).read_text(encoding="utf-8")
        assert text[r["start"]:r["end"]] == r["text"]
        assert set(r["labels"]) <= set(r["scores"]) and all(0 <= p <= 1 for p in r["scores"].values())
        for span in r["spans"]:  # the shipped model marks the words that carry each technique
            assert text[span["start"]:span["end"]] == span["text"] and r["start"] <= span["start"] < span["end"] <= r["end"]
    assert sum(len(r["spans"]) for r in scored) > 20


def test_score_table_and_json_formats(tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("The corrupt elite lied to us again!\n\nLeave a Reply\n", encoding="utf-8")
    table = runner.invoke(app, ["score", str(doc)])
    assert table.exit_code == 0 and "[skipped: comment-form]" in table.stdout
    as_json = runner.invoke(app, ["score", str(doc), "--format", "json"])
    obj = json.loads(as_json.stdout)
    assert obj["id"] == "a.txt" and obj["source"] == str(doc) and obj["status"] == "scored"
    assert len(obj["sentences"]) == 2 and all(s["doc"] == "a.txt" for s in obj["sentences"])


def test_score_reads_stdin():
    result = runner.invoke(app, ["score", "-", "--format", "jsonl"], input="One sentence here. And another one.")
    assert result.exit_code == 0
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["One sentence here.", "And another one."]


@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "not valid UTF-8"),
])
def test_bad_files_become_error_records_and_the_rest_is_scored(tmp_path, name, content, reason):
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text("A perfectly normal sentence.", encoding="utf-8")
    result = runner.invoke(app, ["score", str(bad), str(good), "--format", "jsonl"])
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0]["id"] == name and lines[0]["status"] == "error" and reason in lines[0]["error"]
    assert lines[1]["text"] == "A perfectly normal sentence."
    alone = runner.invoke(app, ["score", str(bad)])
    assert alone.exit_code == 1 and "Traceback" not in alone.output
    assert reason in alone.stderr and "nothing could be scored" in alone.stderr


def test_missing_file_and_empty_directory(tmp_path):
    result = runner.invoke(app, ["score", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1 and "no such file" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["score", str(empty)])
    assert result.exit_code == 1 and "empty folder" in result.stderr


def test_bad_model_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["score", str(SEEDS), "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "framing.json" in result.stderr


def test_evaluate_json_on_dev_with_the_toy_model(toy_baseline_dir, data_dir):
    result = runner.invoke(app, ["evaluate", str(toy_baseline_dir), "--split", "dev", "--json",
                                 "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert {"split", "micro_f1", "macro_f1", "any_technique_f1", "per_label"} <= set(obj)
    assert obj["split"] == "dev" and obj["source"] == "ptc"
    assert set(obj["per_label"]["doubt"]) == {"precision", "recall", "f1", "support"}
    assert obj["per_label"]["doubt"]["support"] > 0


def test_data_stats_lists_splits_and_sources(data_dir):
    result = runner.invoke(app, ["data", "stats", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    pairs = {(g["split"], g["source"]) for g in groups}
    assert {("train", "ptc"), ("dev", "ptc"), ("test", "semeval2023"), ("test", "memes")} <= pairs
    ptc_train = next(g for g in groups if (g["split"], g["source"]) == ("train", "ptc"))
    assert "anti-hegemony" not in ptc_train["positives"]  # PTC does not annotate frames
    assert ptc_train["positives"]["loaded-language"] > 1000


def test_missing_data_dir_is_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMING_DATA_DIR", str(tmp_path / "none"))
    result = runner.invoke(app, ["data", "stats"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "Can't find the data directory" in result.stderr and "FRAMING_DATA_DIR" in result.stderr


def test_data_stats_rebuild_replaces_the_cache(data_dir):
    """`--rebuild` with a cache present (it used to end in "Directory not empty")."""
    runs = [runner.invoke(app, ["data", "stats", "--data-dir", str(data_dir), "--json", *flag]) for flag in ([], ["--rebuild"])]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    first, rebuilt = (json.loads(r.stdout) for r in runs)
    assert rebuilt == first  # same inputs, same rows


@pytest.mark.parametrize("args, param, reason", [
    (["evaluate", "nope"], "model_dir", "does not exist"),
    (["evaluate", "a.txt"], "model_dir", "is a file"),
    (["data", "stats", "--data-dir", "nope"], "--data-dir", "does not exist"),
    (["train", "--out", "a.txt"], "--out", "is a file"),
    (["train", "--model", "transformer", "--base", "nope"], "--base", "does not exist"),
    (["blend", "folder", "nope", "--out", "new"], "baseline", "does not exist"),
    (["soup", "folder", "nope", "--out", "new"], "members", "does not exist"),
    (["report", "articles", "folder"], "scored", "is a directory"),
    (["report", "model", "folder", "--out", "folder"], "--out", "is a directory"),
    (["evaluate", "folder", "--task", "si", "--write-submission", "folder"], "--write-submission", "is a directory"),
    (["bench", "nope"], "model", "does not exist"),
    (["spans", "train", "folder", "--data-dir", "a.txt"], "--data-dir", "is a file"),
])
def test_bad_path_is_a_usage_error_before_anything_runs(tmp_path, monkeypatch, args, param, reason):
    """Typer checks path arguments: exit code 2 and one message line that names the parameter and
    what is wrong, instead of a traceback from a loader (or a half-done run)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not (tmp_path / "new").exists()
    message = [line for line in result.stderr.splitlines() if "Invalid value" in line]
    assert len(message) == 1 and f"'{param}'" in message[0] and reason in message[0], result.stderr


@pytest.mark.parametrize("args, param", [
    (["evaluate", "folder", "--precision", "int4"], "--precision"),
    (["evaluate", "folder", "--split", "train"], "--split"),
    (["train", "--model", "bert"], "--model"),
])
def test_bad_choice_is_a_usage_error_listing_the_choices(tmp_path, monkeypatch, args, param):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    text = " ".join(result.stderr.split())  # the message may wrap inside its box
    assert f"Invalid value for '{param}'" in text and "is not one of" in text


def test_train_flags_default_to_the_training_settings():
    """One source of truth: each transformer flag of `framing train` defaults to the value of the
    TransformerSettings field it sets."""
    import typer.main

    from framing.models.transformer_settings import TransformerSettings

    train = typer.main.get_command(app).commands["train"]
    defaults = {p.name: p.default for p in train.params}
    settings = TransformerSettings()
    fields = ["epochs", "batch_size", "lr", "head_lr", "max_steps", "limit", "eval_every", "max_pos_weight",
              "span_weight", "seed", "device", "base"]
    assert {f: defaults[f] for f in fields} == {f: getattr(settings, f) for f in fields}


@pytest.mark.parametrize("args, expected", [
    (["score", "--precision", "int9", "x.txt"], "framing score: Invalid value for '--precision'"),
    (["score"], "framing score: Missing argument"),
    (["nosuch"], "framing: No such command 'nosuch'"),
    (["batch", "x.txt", "--nosuch"], "framing batch: No such option: --nosuch"),
])
def test_usage_errors_are_one_line(args, expected):
    """A bad command line is one line on stderr (which command, what is wrong, where the help is)
    and exit code 2: greppable in a log, like every other framing error."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(expected), result.stderr
    assert result.stderr.rstrip().endswith("--help)")


def test_no_arguments_still_show_the_help():
    result = runner.invoke(app, [])
    assert "Usage: framing" in result.output and "score" in result.output
