"""The published JSON Schemas (docs/schema/) are what the code generates, and real `score` and
`batch` output validates against them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.records import SCHEMA_VERSION
from framing.schema import format_schema
from tests.conftest import REPO
from tests.test_mixed_inputs import crawl_folder

jsonschema = pytest.importorskip("jsonschema")
runner = CliRunner()
SCHEMAS = REPO / "docs" / "schema"


def validator(name: str):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", ["score-jsonl", "score-json", "batch"])
def test_published_schemas_are_generated_from_the_records(name):
    on_disk = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert on_disk == format_schema(name), "regenerate with: python -m framing.schema docs/schema"


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_score_and_batch_output_validate(toy_baseline_dir, tmp_path):
    crawl_folder(tmp_path / "crawl")
    (tmp_path / "crawl" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    inputs = [str(tmp_path / "crawl"), str(REPO / "seeds"), str(tmp_path / "missing.txt")]
    for fmt, name in (("jsonl", "score-jsonl"), ("json", "score-json")):
        result = runner.invoke(app, ["score", *inputs, "--format", fmt, "--model", str(toy_baseline_dir)])
        assert result.exit_code == 0, result.output
        records = lines_of(result.stdout)
        check = validator(name)
        for record in records:
            check.validate(record)
        assert {r.get("status", "sentence") for r in records} >= {"error"}
        assert all(r["schema_version"] == SCHEMA_VERSION for r in records)
    out = tmp_path / "out.jsonl"
    (tmp_path / "crawl" / "copy.txt").write_text((tmp_path / "crawl" / "pages" / "note.txt").read_text())
    result = runner.invoke(app, ["batch", *inputs, "--out", str(out), "--model", str(toy_baseline_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    records = lines_of(out.read_text(encoding="utf-8"))
    check = validator("batch")
    for record in records:
        check.validate(record)
    assert {r["status"] for r in records} == {"scored", "duplicate", "error"}


def test_a_record_with_a_wrong_field_is_rejected():
    check = validator("score-jsonl")
    good = {"schema_version": SCHEMA_VERSION, "doc": "d", "index": 0, "start": 0, "end": 3, "text": "abc", "labels": [],
            "scores": {"doubt": 0.1}, "any_technique": False, "skipped": None, "spans": []}
    check.validate(good)
    for bad in ({**good, "start": "0"}, {**good, "schema_version": "0.9"}, {k: v for k, v in good.items() if k != "end"},
                {**good, "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            check.validate(bad)
