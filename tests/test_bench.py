"""`framing bench` prints every engine's figures from one run, with what the span head costs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from framing.cli import app


def test_bench_reports_every_engine_and_the_span_cost(tiny_span_dir, data_dir):
    result = CliRunner().invoke(app, ["bench", str(tiny_span_dir), "--data-dir", str(data_dir), "--limit", "24",
                                      "--repeats", "2", "--skip-pipeline"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout[result.stdout.index("{"):])
    engines = out["engines"]
    assert set(engines) == {"fp32", "fp32-no-spans", "fast", "fast-no-spans"}
    assert engines["fp32"]["span_head"] and not engines["fp32-no-spans"]["span_head"]
    for name in ("fp32", "fast"):
        plain = engines[f"{name}-no-spans"]["sent_per_s"]
        assert engines[name]["span_cost"] == round(1 - engines[name]["sent_per_s"] / plain, 3)
    # the span head adds outputs, it never changes the sentence decisions
    assert engines["fp32-no-spans"]["agreement_with_fp32"] == 1.0
    assert all(e["sentences"] == 24 for e in engines.values())
