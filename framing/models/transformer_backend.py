"""Batched transformer inference: token-budget batches over length-sorted inputs.

Precision: on CPU the default ("auto") is bf16 weights where the CPU has native bf16
(AVX-512 BF16 or AMX), else fp32; `precision="fp32"` turns the fast path off. On CUDA: fp16.
Inputs longer than the model's max length are truncated (and counted per call in the Prediction).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..model_files import check_transformer_dir
from .backend import Prediction

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"--device {device} was asked for but no CUDA GPU is available; use --device cpu.")
    if device != "cpu" and not device.startswith("cuda"):
        raise ModelLoadError(f"Unknown device {device!r}; use auto, cpu or cuda[:N].")
    return device


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: str) -> str:
    if precision not in PRECISIONS:
        raise ModelLoadError(f"Unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}.")
    if device.startswith("cuda"):
        return "fp32" if precision == "fp32" else "fp16"
    if precision == "fp16":
        raise ModelLoadError("fp16 inference is for CUDA; on CPU use --precision auto, bf16 or fp32.")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


class TransformerBackend:
    def __init__(self, model, tokenizer, max_length: int, device: str, precision: str, max_tokens: int,
                 outputs: list[str] | None = None):
        self.model, self.tokenizer = model, tokenizer
        self.max_length, self.device, self._precision = max_length, device, precision
        self.max_tokens = max_tokens
        config = model.config
        self._outputs = list(outputs) if outputs else [config.id2label[i] for i in range(config.num_labels)]

    @property
    def outputs(self) -> list[str]:
        return self._outputs

    @property
    def precision(self) -> str:
        return self._precision

    @classmethod
    def load(cls, path: Path, manifest: dict, device: str = "auto", precision: str = "auto",
             max_tokens: int | None = None) -> TransformerBackend:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weight-loading bar on every `framing score` is noise
        device = resolve_device(device)
        precision = resolve_precision(precision, device)
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        outputs = manifest.get("outputs", manifest["labels"])
        check_transformer_dir(path, outputs)
        try:
            # Data-only loading: safetensors weights (never a pickle fallback), no code from the folder.
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path), local_files_only=True, dtype=torch.float32, use_safetensors=True, trust_remote_code=False)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"Transformer model {path} can't be loaded: {str(exc).splitlines()[0][:200]}") from None
        if model.config.num_labels != len(outputs):
            raise ModelLoadError(f"{path}: config.json has {model.config.num_labels} outputs but the manifest "
                                 f"lists {len(outputs)}; the model folder is inconsistent.")
        model = model.to(device=device, dtype=dtype).eval()
        if device == "cpu":
            torch.set_num_threads(max(1, os.cpu_count() or 1))
        budget = max_tokens or (65536 if device.startswith("cuda") else 4096)
        return cls(model, tokenizer, int(manifest.get("max_length", 128)), device, precision, budget, outputs)

    def encode(self, texts: list[str]) -> tuple[list[list[int]], int]:
        """Token ids, truncated to max_length keeping the final [SEP]; and how many were cut."""
        ids = self.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        out, cut = [], 0
        for seq in ids:
            if len(seq) > self.max_length:
                cut += 1
                seq = seq[: self.max_length - 1] + seq[-1:]
            out.append(seq)
        return out, cut

    def batches(self, lengths: list[int]) -> list[np.ndarray]:
        """Index batches over inputs sorted by length (longest first), each within the token
        budget (padded length x rows), so short sentences travel in large batches."""
        order = np.argsort(-np.asarray(lengths), kind="stable")
        batches, current, width = [], [], 0
        for i in order:
            width_if_added = max(width, lengths[i])
            if current and width_if_added * (len(current) + 1) > self.max_tokens:
                batches.append(np.asarray(current))
                current, width_if_added = [], lengths[i]
            current.append(i)
            width = width_if_added
        if current:
            batches.append(np.asarray(current))
        return batches

    def predict_outputs(self, texts: list[str]) -> Prediction:
        import torch

        ids, cut = self.encode(texts)
        lengths = [len(x) for x in ids]
        out = np.zeros((len(texts), self.model.config.num_labels), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in self.batches(lengths):
                width = max(lengths[i] for i in batch)
                input_ids = np.full((len(batch), width), pad, dtype=np.int64)
                attention = np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch):
                    input_ids[row, : lengths[i]] = ids[i]
                    attention[row, : lengths[i]] = 1
                logits = self.model(input_ids=torch.from_numpy(input_ids).to(self.device),
                                    attention_mask=torch.from_numpy(attention).to(self.device)).logits
                # One device->host copy per batch; sigmoid in fp32 for stable thresholds.
                out[batch] = torch.sigmoid(logits.float()).cpu().numpy()
        return Prediction(out, cut)
