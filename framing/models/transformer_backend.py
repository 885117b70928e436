"""Batched transformer inference: token-budget batches over length-sorted inputs.

Precision: on CPU the default ("auto") is the int8 export where the folder has one, ONNX Runtime
is installed and the CPU has native int8 dot products (`int8_backend`), else bf16 weights where
the CPU has native bf16 (AVX-512 BF16 or AMX), else fp32; `precision="fp32"` turns the fast
paths off. On CUDA: fp16.
Inputs longer than the model's max length are truncated (and counted per call in the Prediction).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..model_files import check_transformer_dir
from .backend import Prediction, TokenScores

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")


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


def cpu_has_int8() -> bool:
    """Native int8 dot products (AVX-512 VNNI, AVX-VNNI or AMX int8): where int8 pays off."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


def int8_exported(manifest: dict) -> bool:
    return isinstance(manifest.get("int8"), dict)


def int8_runtime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def load_precision(manifest: dict, device: str, precision: str) -> str:
    """The precision a model folder loads in on `device` (auto considers its int8 export)."""
    return resolve_precision(precision, resolve_device(device), int8_exported(manifest) and int8_runtime_available())


def resolve_precision(precision: str, device: str, int8_ready: bool = False) -> str:
    """The precision to compute in; `int8_ready`: the folder has an int8 export and ONNX Runtime
    is installed (auto then takes int8 where the CPU has native int8)."""
    if precision not in PRECISIONS:
        raise ModelLoadError(f"Unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}.")
    if device.startswith("cuda"):
        if precision == "int8":
            raise ModelLoadError("int8 inference is for CPU; on CUDA use --precision auto (fp16) or fp32.")
        return "fp32" if precision == "fp32" else "fp16"
    if precision == "fp16":
        raise ModelLoadError("fp16 inference is for CUDA; on CPU use --precision auto, bf16, int8 or fp32.")
    if precision == "auto":
        if int8_ready and cpu_has_int8():
            return "int8"
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


def padded(ids: list, batch, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of one batch, right-padded to its longest input."""
    width = max(len(ids[i]) for i in batch)
    input_ids = np.full((len(batch), width), pad, dtype=np.int64)
    attention = np.zeros((len(batch), width), dtype=np.int64)
    for row, i in enumerate(batch):
        input_ids[row, : len(ids[i])] = ids[i]
        attention[row, : len(ids[i])] = 1
    return input_ids, attention


class TransformerBackend:
    def __init__(self, model, tokenizer, max_length: int, device: str, precision: str, max_tokens: int,
                 outputs: list[str] | None = None):
        self.model, self.tokenizer = model, tokenizer
        self.max_length, self.device, self._precision = max_length, device, precision
        self.max_tokens = max_tokens
        config = model.config
        self._outputs = list(outputs) if outputs else [config.id2label[i] for i in range(config.num_labels)]
        self.span_head = None  # a span_head.SpanHead: token probabilities from the same forward pass

    @property
    def outputs(self) -> list[str]:
        return self._outputs

    @property
    def precision(self) -> str:
        return self._precision

    @classmethod
    def load(cls, path: Path, manifest: dict, device: str = "auto", precision: str = "auto",
             max_tokens: int | None = None, spans: bool = True) -> TransformerBackend:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weight-loading bar on every `framing score` is noise
        device = resolve_device(device)
        precision = resolve_precision(precision, device)
        if precision == "int8":  # Classifier.load picks Int8Backend for int8 (its own file and runtime)
            raise ModelLoadError("int8 is computed by int8_backend.Int8Backend, not the torch backend.")
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
        backend = cls(model, tokenizer, int(manifest.get("max_length", 128)), device, precision, budget, outputs)
        if spans and manifest.get("span_head"):
            from ..span_head import load_span_head

            backend.span_head = load_span_head(path, manifest["span_head"], model.config.hidden_size, outputs)
            backend.span_head.module.to(device)
        return backend

    def encode(self, texts: list[str], offsets: bool = False) -> tuple[list[list[int]], int, list | None]:
        """Token ids, truncated to max_length keeping the final [SEP]; how many were cut; and
        with `offsets`, each token's character offsets (special tokens are (0, 0))."""
        enc = self.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False,
                             return_offsets_mapping=offsets)
        out, spans, cut = [], [] if offsets else None, 0
        for k, seq in enumerate(enc["input_ids"]):
            marks = enc["offset_mapping"][k] if offsets else None
            if len(seq) > self.max_length:
                cut += 1
                seq = seq[: self.max_length - 1] + seq[-1:]
                marks = marks[: self.max_length - 1] + marks[-1:] if offsets else None
            out.append(seq)
            if offsets:
                spans.append(marks)
        return out, cut, spans

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

    def _forward(self, ids: list[list[int]], hidden: bool):
        """(batch indices, model output) per token-budget batch, under inference mode."""
        import torch

        lengths = [len(x) for x in ids]
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for batch in self.batches(lengths):
                input_ids, attention = padded(ids, batch, pad)
                yield batch, self.model(input_ids=torch.from_numpy(input_ids).to(self.device),
                                        attention_mask=torch.from_numpy(attention).to(self.device),
                                        output_hidden_states=hidden)

    def predict_outputs(self, texts: list[str], token_features: bool = False) -> Prediction:
        import torch

        head = self.span_head
        ids, cut, offsets = self.encode(texts, offsets=head is not None)
        out = np.zeros((len(texts), self.model.config.num_labels), dtype=np.float32)
        tokens: list[TokenScores | None] = [None] * len(texts)
        for batch, result in self._forward(ids, hidden=head is not None):
            # One device->host copy per batch; sigmoid in fp32 for stable thresholds.
            out[batch] = torch.sigmoid(result.logits.float()).cpu().numpy()
            if head is not None:
                last = result.hidden_states[-1].float()
                probs = head.token_probs(last).cpu().numpy()
                hidden = last.cpu().numpy() if token_features else None
                for row, i in enumerate(batch):
                    tokens[i] = _real_tokens(offsets[i], probs[row, : len(ids[i])],
                                             hidden[row, : len(ids[i])] if token_features else None)
        return Prediction(out, cut, tokens if head is not None else None)

    def token_features(self, texts: list[str], context: int = 0, layers: tuple[int, ...] = (-1,)) -> list[TokenScores]:
        """The last hidden state of every real token (what the span head reads; with `context`,
        next to its neighbours' as `span_head.with_neighbours` puts them; with `layers`, the
        states of those hidden layers side by side), as float16 "probs" of TokenScores: the
        features a span head is trained on."""
        import torch

        from ..span_head import with_neighbours

        ids, _, offsets = self.encode(texts, offsets=True)
        feats: list[TokenScores | None] = [None] * len(texts)
        for batch, result in self._forward(ids, hidden=True):
            states = torch.cat([result.hidden_states[k].float() for k in layers], dim=-1)
            hidden = with_neighbours(states, context).cpu().numpy().astype(np.float16)
            for row, i in enumerate(batch):
                feats[i] = _real_tokens(offsets[i], hidden[row, : len(ids[i])])
        return feats


def _real_tokens(offsets, values: np.ndarray, features: np.ndarray | None = None) -> TokenScores:
    marks = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    real = marks[:, 1] > marks[:, 0]  # special tokens carry (0, 0)
    return TokenScores(marks[real], values[real], None if features is None else features[real])
