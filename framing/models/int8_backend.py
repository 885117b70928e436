"""The int8 backend: the transformer's encoder and classifier head run by ONNX Runtime from the
int8 file `framing export --precision int8` wrote (framing.json "int8"), behind the same
`Backend` protocol. Tokenisation, token-budget batches and the span head are the transformer
backend's own; the span head reads the last hidden states of the int8 encoder.

Loading is checked: the file's sha256, and the sha256 of the fp32 weights it was exported from
against the folder's model.safetensors (an int8 file left over from other weights is refused).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from ..errors import ModelLoadError
from ..model_files import WEIGHTS
from .transformer_backend import TransformerBackend, int8_exported, padded

_REEXPORT = "run `framing export --precision int8 {dir}` again"


def check_int8_entry(path: Path, entry: dict) -> Path:
    """The int8 file named by the entry, its own hash and its source's hash checked; one line per problem."""
    from ..span_head import file_sha256

    where = f"{path}/framing.json int8"
    fix = _REEXPORT.format(dir=path)
    try:
        name, digest, source = str(entry["file"]), str(entry["sha256"]), dict(entry["source"])
        source_file, source_digest = str(source["file"]), str(source["sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{where} is incomplete ({exc!r}); {fix}.") from None
    file = path / name
    if Path(name).name != name or not file.is_file():
        raise ModelLoadError(f"{where} names {name!r}, which is not a file in the model folder; {fix}.")
    if source_file != WEIGHTS or file_sha256(path / WEIGHTS) != source_digest:
        raise ModelLoadError(f"{file} was exported from other weights (the sha256 of {WEIGHTS} does not match "
                             f"framing.json int8.source); {fix}.")
    if file_sha256(file) != digest:
        raise ModelLoadError(f"{file} does not match its sha256 in framing.json (changed or damaged); {fix}.")
    return file


class Int8Backend(TransformerBackend):
    def __init__(self, session, config, tokenizer, max_length: int, max_tokens: int, outputs: list[str]):
        # `model` only carries the config the shared code reads (num_labels, hidden size)
        super().__init__(SimpleNamespace(config=config), tokenizer, max_length, "cpu", "int8", max_tokens, outputs)
        self.session = session

    @classmethod
    def load(cls, path: Path, manifest: dict, device: str = "cpu", precision: str = "int8",
             max_tokens: int | None = None, spans: bool = True) -> Int8Backend:
        from transformers import AutoConfig, AutoTokenizer

        from ..export import require_onnxruntime
        from ..model_files import check_transformer_dir

        ort = require_onnxruntime()
        path = Path(path)
        outputs = manifest.get("outputs", manifest["labels"])
        check_transformer_dir(path, outputs)
        if not int8_exported(manifest):
            raise ModelLoadError(f"{path} has no int8 export; `framing export --precision int8 {path}` writes one "
                                 "(or use --precision auto, bf16 or fp32).")
        file = check_int8_entry(path, manifest["int8"])
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
            config = AutoConfig.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"Transformer model {path} can't be loaded: {str(exc).splitlines()[0][:200]}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad graph
            raise ModelLoadError(f"{file} can't be loaded by ONNX Runtime: {str(exc).splitlines()[0][:200]}; "
                                 f"{_REEXPORT.format(dir=path)}.") from None
        backend = cls(session, config, tokenizer, int(manifest.get("max_length", 128)), max_tokens or 4096, outputs)
        if spans and manifest.get("span_head"):
            from ..span_head import load_span_head

            backend.span_head = load_span_head(path, manifest["span_head"], config.hidden_size, outputs)
        return backend

    def _forward(self, ids: list[list[int]], hidden: bool):
        """(batch indices, outputs) per token-budget batch, as the torch backend yields them."""
        import torch

        lengths = [len(x) for x in ids]
        pad = self.tokenizer.pad_token_id or 0
        names = ["logits", "hidden"] if hidden else ["logits"]
        for batch in self.batches(lengths):
            input_ids, attention = padded(ids, batch, pad)
            found = self.session.run(names, {"input_ids": input_ids, "attention_mask": attention})
            with torch.inference_mode():  # the span head runs in torch on the int8 encoder's states
                yield batch, SimpleNamespace(logits=torch.from_numpy(found[0]),
                                             hidden_states=[torch.from_numpy(found[1])] if hidden else None)
