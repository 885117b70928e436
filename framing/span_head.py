"""The token-level span head saved beside a transformer model (`span_head.safetensors`).

It reads the encoder's last hidden state of every token and gives, per technique (and for
"any-technique"), the probability that the token lies inside a span of it. The sequence
classifier in the folder is untouched (plain `transformers.pipeline` still loads it); the head
runs on the same forward pass as the sentence labels. framing.json describes it under
"span_head": its file and hash, the layer sizes, the outputs, per-output thresholds and the
decoding settings (`span_decode`), all validated on load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .span_classify import SpanClassifier
from .taxonomy import ANY_TECHNIQUE

SPAN_HEAD_FILE = "span_head.safetensors"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_head(layers: list[int]):
    """Linear layers with ReLU between them: [hidden, outputs] is a linear probe, [hidden, k,
    outputs] a small MLP."""
    import torch

    parts = []
    for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
        if i:
            parts.append(torch.nn.ReLU())
        parts.append(torch.nn.Linear(a, b))
    return torch.nn.Sequential(*parts)


def with_neighbours(last, context: int):
    """(batch, tokens, hidden) -> (batch, tokens, (2 * context + 1) * hidden): each token's state
    next to those of the `context` tokens either side (zeros beyond the sequence). The sequence
    includes [CLS] and [SEP], so a sentence's first and last words see them, alone or in a batch."""
    import torch

    if not context:
        return last
    width = last.shape[1]
    padded = torch.nn.functional.pad(last, (0, 0, context, context))
    return torch.cat([padded[:, context + k: context + k + width] for k in range(-context, context + 1)], dim=-1)


@dataclass
class SpanHead:
    module: object  # torch.nn.Sequential
    outputs: list[str]
    thresholds: np.ndarray  # one per output
    decoding: dict
    classifier: SpanClassifier | None = None  # names the technique of a given span (TC)
    context: int = 0  # neighbouring tokens either side whose states the head also reads

    def token_probs(self, last):
        """Per token and output, the probability of lying inside a span, from the last hidden states."""
        import torch

        return torch.sigmoid(self.module(with_neighbours(last, self.context)))

    def save(self, model_dir: Path, layers: list[int], extra: dict | None = None) -> dict:
        """Writes the weights; returns the manifest entry describing them."""
        import torch
        from safetensors.torch import save_file

        path = Path(model_dir) / SPAN_HEAD_FILE
        state = {f"head.{k}": v.detach().float().contiguous().cpu() for k, v in self.module.state_dict().items()}
        if self.classifier is not None:
            state.update({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.classifier.tensors().items()})
        save_file(state, str(path))
        return {"file": SPAN_HEAD_FILE, "sha256": file_sha256(path), "layers": list(layers), "context": int(self.context),
                "outputs": list(self.outputs),
                "thresholds": {name: float(t) for name, t in zip(self.outputs, self.thresholds)},
                "decoding": dict(self.decoding), **(extra or {})}


def load_span_head(model_dir: Path, entry: dict, hidden_size: int, labels: list[str]) -> SpanHead:
    """The head described by the manifest entry, checked against its file and the model."""
    import torch
    from safetensors.torch import load_file

    from .model_files import check_safetensors

    where = f"{model_dir}/framing.json span_head"
    try:
        layers, outputs = [int(x) for x in entry["layers"]], [str(x) for x in entry["outputs"]]
        thresholds = np.array([float(entry["thresholds"][name]) for name in outputs], dtype=np.float32)
        decoding, name = dict(entry["decoding"]), str(entry["file"])
        context = int(entry.get("context", 0))  # heads saved before neighbours existed read one token
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{where} is incomplete or malformed ({exc!r}); retrain it with `framing spans train`.") from None
    if context < 0 or len(layers) < 2 or layers[0] != hidden_size * (2 * context + 1) or layers[-1] != len(outputs):
        raise ModelLoadError(f"{where}: layers {layers} (context {context}) don't fit a {hidden_size}-wide encoder with "
                             f"{len(outputs)} outputs.")
    unknown = [o for o in outputs if o not in labels and o != ANY_TECHNIQUE]
    if unknown or not ((thresholds > 0) & (thresholds < 1)).all():
        raise ModelLoadError(f"{where}: unknown outputs {unknown} or thresholds outside (0, 1).")
    path = Path(model_dir) / name
    if Path(name).name != name or not path.is_file():
        raise ModelLoadError(f"{where} names {name!r}, which is not a file in the model folder.")
    check_safetensors(path)
    if entry.get("sha256") != file_sha256(path):
        raise ModelLoadError(f"{path} does not match the hash in framing.json (changed or from another model); "
                             "retrain it with `framing spans train`.")
    module = build_head(layers)
    tensors = load_file(str(path))
    try:
        module.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
        techniques = [o for o in outputs if o != ANY_TECHNIQUE]
        classifier = (SpanClassifier.from_tensors(techniques, {k: v.numpy() for k, v in tensors.items()})
                      if "tc.coef" in tensors else None)
    except (RuntimeError, KeyError) as exc:
        raise ModelLoadError(f"{path} doesn't fit layers {layers}: {str(exc).splitlines()[0][:160]}") from None
    if classifier is not None and classifier.coef.shape[0] != len(techniques):
        raise ModelLoadError(f"{path}: its span classifier has {classifier.coef.shape[0]} techniques, expected "
                             f"{len(techniques)}.")
    return SpanHead(module.eval().to(torch.float32), outputs, thresholds, decoding, classifier, context)
