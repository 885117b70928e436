from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    # Never write a user's ~/.cache from tests; CI may point FRAMING_CACHE at a shared folder.
    os.environ.setdefault("FRAMING_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The corpora folder; tests that need it skip (or fail in CI) when it is absent."""
    from framing.paths import find_data_dir

    found = find_data_dir()
    if found is None:
        if os.environ.get("FRAMING_REQUIRE_DATA"):
            pytest.fail("FRAMING_REQUIRE_DATA is set but no corpora were found at $FRAMING_DATA_DIR")
        pytest.skip("no corpora found: set FRAMING_DATA_DIR or place them at ../shared/data")
    return found


TOY = [
    ("The corrupt traitors in Washington are destroying everything we love!", {"loaded-language", "name-calling"}),
    ("These evil globalist puppets must be stopped before it is too late.", {"loaded-language", "appeal-to-fear"}),
    ("Disgusting liars and crooks run the media circus.", {"name-calling", "loaded-language"}),
    ("The committee met on Tuesday to discuss the budget.", set()),
    ("Rainfall in the region was slightly above average this year.", set()),
    ("The company reported quarterly revenue of 3 million dollars.", set()),
    ("Is this really what they call an independent investigation?", {"doubt"}),
    ("Why should anyone believe these so-called experts now?", {"doubt"}),
    ("The minister will travel to Paris next week.", set()),
    ("Officials said the bridge would reopen in March.", set()),
] * 4


@pytest.fixture(scope="session")
def toy_baseline_dir(tmp_path_factory) -> Path:
    """A small baseline trained on made-up sentences and saved through the real code path."""
    from framing.manifest import make_manifest, write_manifest
    from framing.models.baseline import BaselineModel, BaselineSettings

    labels = ["loaded-language", "name-calling", "doubt", "appeal-to-fear"]
    texts = [t for t, _ in TOY]
    y = np.array([[label in labs for label in labels] for _, labs in TOY])
    model = BaselineModel(labels, BaselineSettings(min_df=1, max_word_features=500, max_char_features=500))
    model.fit(texts, y, np.ones_like(y))
    out = tmp_path_factory.mktemp("toy-baseline")
    model.save(out)
    write_manifest(out, make_manifest("baseline", labels, dict.fromkeys(labels, 0.5), data_fingerprint="toy",
                                      settings={}))
    return out


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    from tests.tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_transformer_dir(tiny_base, tmp_path_factory) -> Path:
    """Two real training steps on the toy sentences, saved in the shipped format."""
    from framing.manifest import make_manifest, write_manifest
    from framing.model_card import write_model_card
    from framing.models.transformer import Trainer, TransformerSettings

    labels = ["loaded-language", "name-calling", "doubt", "appeal-to-fear"]
    outputs = labels + ["any-technique"]
    texts = [t for t, _ in TOY]
    y = np.array([[label in labs for label in labels] + [bool(labs)] for _, labs in TOY])
    trainer = Trainer(outputs, TransformerSettings(base=str(tiny_base), max_steps=2, batch_size=8,
                                                   max_length=32, device="cpu")).build()
    info = trainer.fit(texts, y, np.ones_like(y))
    out = tmp_path_factory.mktemp("tiny-transformer")
    trainer.save(out)
    write_manifest(out, make_manifest("transformer", labels, dict.fromkeys(labels, 0.5), data_fingerprint="toy",
                                      settings=trainer.settings_dict(), outputs=outputs, max_length=32,
                                      any_technique={"mode": "dedicated", "threshold": 0.5}, training=info))
    write_model_card(out)
    return out


@pytest.fixture(scope="session")
def tiny_span_dir(tiny_transformer_dir, tmp_path_factory) -> Path:
    """The tiny transformer with a span head of seeded random weights and a span classifier,
    saved through the real code path; thresholds are set so that some tokens pass."""
    import json
    import shutil

    import torch

    from framing.span_classify import SpanClassifier
    from framing.span_head import SpanHead, build_head

    out = tmp_path_factory.mktemp("tiny-span") / "model"
    shutil.copytree(tiny_transformer_dir, out)
    manifest = json.loads((out / "framing.json").read_text())
    outputs = manifest["labels"] + ["any-technique"]
    torch.manual_seed(0)
    layers = [32, 8, len(outputs)]
    module = build_head(layers)
    techniques = manifest["labels"]
    rng = np.random.default_rng(0)
    width = 2 * 32 + len(techniques) + 4
    classifier = SpanClassifier(techniques, np.zeros(width, np.float32), np.ones(width, np.float32),
                                rng.normal(size=(len(techniques), width)).astype(np.float32),
                                np.zeros(len(techniques), np.float32))
    head = SpanHead(module, outputs, np.full(len(outputs), 0.5, np.float32),
                    {"max_gap": 1, "whole_words": True, "min_chars": 2, "si_source": "any-technique", "si_threshold": 0.5},
                    classifier)
    manifest["span_head"] = head.save(out, layers)
    (out / "framing.json").write_text(json.dumps(manifest, indent=2))
    return out
