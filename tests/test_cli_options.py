"""What `framing train --help` promises: each transformer flag's shown default is the value of the
TransformerSettings field it sets (the usage errors of bad paths and choices are in test_cli.py)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.models.transformer_settings import TransformerSettings

FLAGS = {"--epochs": "epochs", "--batch-size": "batch_size", "--lr": "lr", "--head-lr": "head_lr",
         "--max-steps": "max_steps", "--limit": "limit", "--eval-every": "eval_every",
         "--max-pos-weight": "max_pos_weight", "--span-weight": "span_weight", "--seed": "seed", "--device": "device"}


@pytest.fixture(scope="module")
def help_lines() -> dict[str, str]:
    # Wide enough that no option's line wraps: its flag and its "[default: ...]" stay on one line.
    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    lines = {}
    for line in result.output.splitlines():
        words = line.strip("│ ").split()
        if words and words[0] in FLAGS:
            lines[words[0]] = line
    return lines


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_train_help_shows_the_settings_default(help_lines, flag):
    default = getattr(TransformerSettings(), FLAGS[flag])
    assert flag in help_lines, f"{flag} is not in `framing train --help`"
    assert f"[default: {default}]" in help_lines[flag], help_lines[flag]
