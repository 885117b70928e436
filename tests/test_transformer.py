import json

import numpy as np
import pytest

from framing import Classifier
from framing.errors import ModelLoadError
from tests.conftest import TOY

TEXTS = [t for t, _ in TOY[:10]] + ["one", "the " * 100 + "end", "why ?"]


def test_training_steps_ran_and_saved_format_is_complete(tiny_transformer_dir):
    names = {p.name for p in tiny_transformer_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "framing.json", "README.md"} <= names
    config = json.loads((tiny_transformer_dir / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"]["4"] == "any-technique" and config["label2id"]["doubt"] == 2
    manifest = json.loads((tiny_transformer_dir / "framing.json").read_text())
    assert manifest["training"]["steps"] == 2


def test_round_trip_and_order_restoration(tiny_transformer_dir):
    clf = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32")
    probs = clf.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 4)
    one_by_one = np.vstack([clf.predict_proba([t]) for t in TEXTS])
    assert np.allclose(probs, one_by_one, atol=1e-5)  # batching and sorting don't change results
    assert np.allclose(clf.predict_proba(TEXTS[::-1])[::-1], probs, atol=1e-5)


def test_token_budget_batches_cover_every_input_once(tiny_transformer_dir):
    clf = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32")
    backend = clf.backend
    backend.max_tokens = 64
    lengths = [3, 30, 7, 12, 30, 5, 1, 64]
    batches = backend.batches(lengths)
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 64


def test_overlong_inputs_are_truncated_and_counted(tiny_transformer_dir):
    clf = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32")
    clf.predict_proba(["the " * 100 + "end", "short one"])
    assert clf.truncated_count == 1


def test_fast_path_agrees_with_fp32(tiny_transformer_dir):
    fp32 = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32").predict_proba(TEXTS)
    fast = Classifier.load(tiny_transformer_dir, device="cpu", precision="bf16").predict_proba(TEXTS)
    assert np.abs(fast - fp32).max() < 0.02


def test_loads_with_plain_transformers_pipeline(tiny_transformer_dir):
    from transformers import pipeline

    clf = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32")
    pipe = pipeline("text-classification", model=str(tiny_transformer_dir), top_k=None, device="cpu")
    out = pipe(TEXTS[:3])
    for row, ours in zip(out, clf.predict_proba(TEXTS[:3])):
        scores = {d["label"]: d["score"] for d in row}
        assert np.allclose([scores[label] for label in clf.labels], ours, atol=1e-4)


def test_unknown_device_and_precision_are_clear_errors(tiny_transformer_dir):
    with pytest.raises(ModelLoadError, match="precision"):
        Classifier.load(tiny_transformer_dir, precision="int4")
    with pytest.raises(ModelLoadError, match="device"):
        Classifier.load(tiny_transformer_dir, device="tpu")


def test_inconsistent_config_is_caught(tiny_transformer_dir, tmp_path):
    import shutil

    dst = tmp_path / "m"
    shutil.copytree(tiny_transformer_dir, dst)
    manifest = json.loads((dst / "framing.json").read_text())
    manifest["labels"] = manifest["labels"][:3]
    manifest["outputs"] = manifest["labels"] + ["any-technique"]
    (dst / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="outputs"):
        Classifier.load(dst, device="cpu")


@pytest.mark.gpu
def test_cuda_fp16_matches_cpu(tiny_transformer_dir):
    cpu = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32").predict_proba(TEXTS)
    gpu = Classifier.load(tiny_transformer_dir, device="cuda", precision="auto")
    assert gpu.backend.precision == "fp16"
    assert np.abs(gpu.predict_proba(TEXTS) - cpu).max() < 0.01


def test_score_documents_with_transformer(tiny_transformer_dir):
    clf = Classifier.load(tiny_transformer_dir, device="cpu")
    [doc] = clf.score_documents([("d", "The committee met on Tuesday. Why should anyone believe experts now?\n\nLeave a Reply")])
    assert [r["skipped"] for r in doc["sentences"]] == [None, None, "comment-form"]
    assert isinstance(doc["sentences"][0]["any_technique"], bool)


def test_blend_with_baseline_averages_outputs(tiny_transformer_dir, toy_baseline_dir, tmp_path):
    import shutil

    dst = tmp_path / "blend"
    shutil.copytree(tiny_transformer_dir, dst)
    shutil.copytree(toy_baseline_dir, dst / "baseline")
    manifest = json.loads((dst / "framing.json").read_text())
    manifest["blend"] = {"path": "baseline", "weight": 0.25}
    (dst / "framing.json").write_text(json.dumps(manifest))
    tf = Classifier.load(tiny_transformer_dir, device="cpu", precision="fp32").predict_outputs(TEXTS)
    bl = Classifier.load(toy_baseline_dir).predict_outputs(TEXTS)
    blended = Classifier.load(dst, device="cpu", precision="fp32").predict_outputs(TEXTS)
    assert np.allclose(blended[:, :4], 0.75 * tf[:, :4] + 0.25 * bl, atol=1e-5)
    assert np.allclose(blended[:, 4], tf[:, 4], atol=1e-6)  # the toy baseline has no any-technique head
    manifest["blend"]["weight"] = 3
    (dst / "framing.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="weight"):
        Classifier.load(dst, device="cpu")


def test_soup_averages_weights_and_loads(tiny_transformer_dir, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    from framing.soup import soup_models

    other = tmp_path / "other"
    shutil.copytree(tiny_transformer_dir, other)
    weights = load_file(str(other / "model.safetensors"))
    save_file({k: (v.float() + 1).to(v.dtype) for k, v in weights.items()}, str(other / "model.safetensors"),
              metadata={"format": "pt"})
    manifest = json.loads((other / "framing.json").read_text())
    manifest["settings"]["span_weight"] = 0.5  # members of a soup may come from different recipes
    (other / "framing.json").write_text(json.dumps(manifest))
    info = soup_models([tiny_transformer_dir, other], tmp_path / "soup")
    assert [m["span_weight"] for m in info["members"]] == [0.0, 0.5]
    souped = load_file(str(tmp_path / "soup" / "model.safetensors"))
    key = next(k for k in weights if weights[k].is_floating_point())
    assert torch_close(souped[key].float(), weights[key].float() + 0.5)
    clf = Classifier.load(tmp_path / "soup", device="cpu", precision="fp32")
    assert clf.predict_proba(["The corrupt elite lied."]).shape == (1, len(clf.labels))
    card = (tmp_path / "soup" / "README.md").read_text()
    assert "soup" in clf.manifest and "model soup" in card
    assert "token-level span loss (weight 0.5)" in card and "(soup members with seed" in card  # only the member that had it


def torch_close(a, b) -> bool:
    return bool(((a - b).abs() <= 1e-2 + 1e-2 * b.abs()).all())


def test_head_lr_moves_the_head_and_not_the_encoder(tiny_base):
    from framing.models.transformer import Trainer, TransformerSettings
    from tests.conftest import TOY

    labels = ["loaded-language", "doubt"]
    texts = [t for t, _ in TOY]
    y = np.array([[label in labs for label in labels] for _, labs in TOY])
    settings = TransformerSettings(base=str(tiny_base), max_steps=3, batch_size=8, max_length=32, device="cpu",
                                   lr=1e-9, head_lr=1e-2, warmup_ratio=0.0)
    trainer = Trainer(labels, settings).build()
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.fit(texts, y, np.ones_like(y))
    moved = {n: float((p.detach() - before[n]).abs().max()) for n, p in trainer.model.named_parameters()}
    assert moved["classifier.weight"] > 1e-3
    assert max(v for n, v in moved.items() if not n.startswith("classifier.")) < 1e-6
    with pytest.raises(ValueError, match="head_lr"):
        TransformerSettings(head_lr=1.5)


def test_span_loss_reaches_the_encoder_and_is_not_saved(tiny_base, tmp_path):
    """With every sentence cell masked, only the token-level span loss can move the encoder;
    its token head is training-only, so the saved folder is the plain classifier."""
    from safetensors import safe_open

    from framing.models.transformer import Trainer, TransformerSettings
    from framing.token_spans import whole_text_spans
    from tests.conftest import TOY

    labels = ["loaded-language", "doubt", "any-technique"]
    texts = [t for t, _ in TOY]
    y = np.array([[label in labs for label in labels] for _, labs in TOY])
    spans = whole_text_spans(texts, y[:, :2])
    no_sentence_loss = np.zeros_like(y)

    def moved(span_weight):
        settings = TransformerSettings(base=str(tiny_base), max_steps=3, batch_size=8, max_length=32, device="cpu",
                                       span_weight=span_weight, warmup_ratio=0.0, lr=1e-3,
                                       weight_decay=0.0)
        trainer = Trainer(labels, settings).build()
        before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
        trainer.fit(texts, y, no_sentence_loss, spans=spans)
        return trainer, max(float((p.detach() - before[n]).abs().max())
                            for n, p in trainer.model.named_parameters() if n.startswith("bert.encoder"))

    plain, delta = moved(0.0)
    assert delta == 0.0  # no loss at all: nothing moves
    trainer, delta = moved(1.0)
    assert delta > 1e-4
    names = {}
    for name, t in (("plain", plain), ("span", trainer)):
        t.save(tmp_path / name)
        with safe_open(str(tmp_path / name / "model.safetensors"), "pt") as f:
            names[name] = set(f.keys())
    assert names["span"] == names["plain"]  # the token head is not part of the saved model
    assert json.loads((tmp_path / "span" / "config.json").read_text())["id2label"]["2"] == "any-technique"
    with pytest.raises(ValueError, match="span_weight"):
        TransformerSettings(span_weight=-1)


@pytest.fixture(scope="module")
def corpus_tiny_transformer(data_dir, tiny_base, tmp_path_factory):
    """The real training entry point on the corpora: two steps of a tiny encoder."""
    from framing.models.transformer import TransformerSettings
    from framing.training import train_transformer

    out = tmp_path_factory.mktemp("corpus-tf") / "tf"
    settings = TransformerSettings(base=str(tiny_base), max_steps=2, limit=64, batch_size=8, max_length=32,
                                   device="cpu", head_lr=1e-3, span_weight=0.5)
    return out, train_transformer(out, data_dir, settings, with_fragments=True, log=lambda line: None)


def test_train_transformer_end_to_end_with_fragments(corpus_tiny_transformer):
    """Thresholds tuned on dev, dev and test metrics, a loadable folder that records the recipe."""
    out, metrics = corpus_tiny_transformer
    assert {"dev", "test"} <= set(metrics) and 0 <= metrics["dev"]["macro_f1"] <= 1
    manifest = json.loads((out / "framing.json").read_text())
    assert manifest["settings"]["with_fragments"] is True and manifest["settings"]["head_lr"] == 1e-3
    assert manifest["settings"]["span_weight"] == 0.5
    assert manifest["training"]["steps"] == 2
    assert manifest["training"]["fragment_rows"] == 64 and manifest["training"]["train_rows"] == 128
    card = (out / "README.md").read_text()
    assert "span fragments" in card and "token-level span loss (weight 0.5)" in card
    assert ".partial" not in card  # the card names no temporary folder
    clf = Classifier.load(out, device="cpu", precision="fp32")
    assert clf.predict_proba(["They are traitors."]).shape == (1, len(clf.labels))


def test_blend_models_picks_the_best_dev_candidate_and_records_it(corpus_tiny_transformer, data_dir, tmp_path):
    from framing.evaluate import evaluate
    from framing.paths import MODELS_DIR
    from framing.training import blend_models

    lines = []
    out = tmp_path / "blend"
    metrics = blend_models(corpus_tiny_transformer[0], MODELS_DIR / "baseline", out, data_dir, weights=(0.0, 0.6),
                           objectives=("label-f1", "joint"), targets={"macro_f1": 0.0, "micro_f1": 2.0},
                           log=lambda line: lines.append(json.loads(line)))
    assert len(lines) == 4 and all(c["targets_met"] == 1 for c in lines)  # 2.0 is out of reach
    best = max(lines, key=lambda c: (c["beats_baseline"], c["targets_met"], c["dev_score"]))
    manifest = json.loads((out / "framing.json").read_text())
    assert (manifest["selection"]["weight"], manifest["selection"]["threshold_objective"]) == (
        best["weight"], best["objective"])
    assert (out / "baseline").is_dir() == (best["weight"] > 0)
    # what the folder records is what `framing evaluate` measures on it
    dev = evaluate(Classifier.load(out, device="cpu", precision="fp32"), "dev", data_dir)
    assert round(dev["micro_f1"], 4) == metrics["dev"]["micro_f1"] == best["micro_f1"]


def test_lr_schedule_warms_up_then_decays_to_zero_on_every_group():
    """100 steps, 6% warmup: the encoder and the new head rise linearly to their own peak lr by
    step 6, then fall linearly, reaching 0 after the last step."""
    import torch

    from framing.models.transformer import lr_schedule

    encoder, head = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([{"params": [encoder], "lr": 5e-5}, {"params": [head], "lr": 1e-3}])
    sched = lr_schedule(opt, total=100, warmup_ratio=0.06)
    seen = []
    for _ in range(100):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    seen = np.array(seen)
    factor = seen[:, 0] / 5e-5
    assert np.allclose(seen[:, 1] / 1e-3, factor)  # one shape, each group at its own peak
    assert factor[:7] == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    assert factor[50] == pytest.approx(50 / 94) and factor[99] == pytest.approx(1 / 94)
    assert opt.param_groups[0]["lr"] == 0.0
    # without warmup the first step already trains at the full rate
    opt = torch.optim.AdamW([encoder], lr=1.0)
    lr_schedule(opt, total=10, warmup_ratio=0.0)
    assert opt.param_groups[0]["lr"] == 1.0


def _factors(total: int, warmup_ratio: float) -> list[float]:
    import torch

    from framing.models.transformer import lr_schedule

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = lr_schedule(opt, total, warmup_ratio)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def _hand_written(step: int, total: int, warmup_ratio: float) -> float:
    # The schedule the trainer used before transformers' (a LambdaLR), kept here to compare with.
    warmup = max(1, int(total * warmup_ratio))
    return min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))


@pytest.mark.parametrize("total, warmup_ratio", [(100, 0.06), (37, 0.2), (500, 0.06)])
def test_lr_schedule_equals_the_hand_written_one_after_warmup(total, warmup_ratio):
    """From the end of warmup on, transformers' schedule is the old one step for step. During
    warmup it lags one step: it starts at 0 (as transformers' Trainer does) where the old one
    started at peak / warmup, so step k + 1 now trains at the rate step k had."""
    new = _factors(total, warmup_ratio)
    warmup = int(total * warmup_ratio)
    for step in range(warmup, total):
        assert new[step] == pytest.approx(_hand_written(step, total, warmup_ratio))
    assert new[0] == 0.0
    for step in range(warmup):
        assert new[step + 1] == pytest.approx(_hand_written(step, total, warmup_ratio))


def test_lr_schedule_without_warmup_decays_from_the_peak():
    """warmup_ratio 0: both start at the full rate. The old one counted one warmup step anyway and
    decayed over total - 1 steps, transformers' decays over all `total`: every later step now runs
    at (total - 1) / total of the old rate, never more."""
    total = 20
    new = _factors(total, 0.0)
    old = [_hand_written(step, total, 0.0) for step in range(total)]
    assert new[0] == old[0] == 1.0
    assert new[1:] == pytest.approx([x * (total - 1) / total for x in old[1:]])


def test_soup_leaves_out_the_members_span_head(tiny_span_dir, tmp_path):
    """A span head reads one encoder's hidden states; averaged weights are another encoder, so a
    soup scores without spans until `framing spans train` fits a head to it."""
    import shutil

    from framing.soup import soup_models

    other = tmp_path / "other"
    shutil.copytree(tiny_span_dir, other)
    soup_models([tiny_span_dir, other], tmp_path / "soup")
    assert not (tmp_path / "soup" / "span_head.safetensors").exists()
    clf = Classifier.load(tmp_path / "soup", device="cpu", precision="fp32")
    assert "span_head" not in clf.manifest and not clf.has_spans


class _Stop(Exception):
    pass


def test_a_stopped_run_continues_from_its_checkpoint_to_the_same_result(tiny_base, tmp_path):
    import torch

    """Stopped after its second evaluation (its checkpoint then holds step 4 of 10, mid-epoch),
    a new process continues from the checkpoint: same weights, same history as a run that was
    never stopped. Span loss and dropout included, so every random state must come back."""
    from framing.errors import TrainingError
    from framing.models.transformer import Trainer, TransformerSettings
    from framing.token_spans import whole_text_spans
    from tests.conftest import TOY

    labels = ["loaded-language", "doubt", "any-technique"]
    texts = [t for t, _ in TOY]
    y = np.array([[label in labs for label in labels] for _, labs in TOY])
    spans = whole_text_spans(texts, y[:, :2])
    settings = TransformerSettings(base=str(tiny_base), max_steps=10, epochs=3, batch_size=8, max_length=32,
                                   device="cpu", span_weight=0.5, eval_every=2, patience=10, lr=1e-3)

    def score(backend) -> float:
        return float(np.asarray(backend.predict_outputs(texts[:8]).scores).mean())

    def run(checkpoint, stop_at=None):
        calls = []

        def evaluate(backend):
            calls.append(1)
            if stop_at and len(calls) == stop_at:
                raise _Stop  # the process dies during an evaluation
            return score(backend)

        torch.manual_seed(0)  # the new classifier layer starts alike in both runs, as in two fresh processes
        trainer = Trainer(labels, settings).build()
        info = trainer.fit(texts, y, np.ones_like(y), evaluate=evaluate, spans=spans, checkpoint=checkpoint)
        return trainer, info

    straight, info = run(tmp_path / "a.pt")
    with pytest.raises(_Stop):
        run(tmp_path / "b.pt", stop_at=3)
    assert (tmp_path / "b.pt").is_file()
    resumed, info_b = run(tmp_path / "b.pt")
    assert info_b["steps"] == info["steps"] == 10
    assert [h["dev_score"] for h in info_b["history"]] == [h["dev_score"] for h in info["history"]]
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(bool((a[k] == b[k]).all()) for k in a)

    other = TransformerSettings(**{**settings.__dict__, "lr": 2e-3})
    with pytest.raises(TrainingError, match="another run"):
        Trainer(labels, other).build().fit(texts, y, np.ones_like(y), evaluate=score, spans=spans,
                                           checkpoint=tmp_path / "b.pt")
