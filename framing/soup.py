"""A "model soup": the uniform weight average of several fine-tunes of the same base encoder
with the same outputs (e.g. two seeds of one recipe). One model's size and speed; the average
of runs that start from the same pre-trained weights usually sits in a flatter, better region
than either run. Thresholds are re-tuned afterwards by `framing blend` on dev.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .atomic import atomic_dir
from .errors import ModelLoadError
from .manifest import MANIFEST_NAME, read_manifest, with_version, write_manifest
from .model_files import WEIGHTS, check_transformer_dir
from .span_head import SPAN_HEAD_FILE


def soup_models(members: list[str | Path], out: str | Path) -> dict:
    from safetensors.torch import load_file, save_file

    members = [Path(m) for m in members]
    if len(members) < 2:
        raise ModelLoadError("a soup needs at least two transformer model folders")
    manifests = [read_manifest(m) for m in members]
    first = manifests[0]
    for path, manifest in zip(members, manifests):
        if manifest["model_type"] != "transformer":
            raise ModelLoadError(f"{path} is a {manifest['model_type']} model; only transformers can be souped")
        if manifest.get("outputs") != first.get("outputs"):
            raise ModelLoadError(f"{path} has other outputs than {members[0]}; soup members must share their outputs")
        check_transformer_dir(path, manifest.get("outputs", manifest["labels"]))
    weights = [load_file(str(m / WEIGHTS)) for m in members]
    for path, w in zip(members[1:], weights[1:]):
        if w.keys() != weights[0].keys() or any(w[k].shape != weights[0][k].shape for k in w):
            raise ModelLoadError(f"{path / WEIGHTS} has other tensors than {members[0] / WEIGHTS}; same base needed")
    average = {k: (sum(w[k].float() for w in weights) / len(weights)).to(weights[0][k].dtype) for k in weights[0]}
    # A soup is a new model: it keeps neither the first member's blend nor its release version.
    # Nor its span head: that head read the first member's hidden states, not the soup's.
    manifest = with_version({k: v for k, v in first.items() if k not in ("blend", "selection", "span_head")})
    manifest["soup"] = {"method": "uniform average of model.safetensors",
                        "members": [{"path": str(p), "seed": m.get("settings", {}).get("seed"),
                                     "epochs": m.get("settings", {}).get("epochs"),
                                     "span_weight": m.get("settings", {}).get("span_weight", 0.0),
                                     # each member's own training data, for the model card
                                     **{k: v for k, v in m.get("settings", {}).items()
                                        if k in ("with_memes", "with_synthetic", "with_fragments")},
                                     "best_dev_score": m.get("training", {}).get("best_dev_score")}
                                    for p, m in zip(members, manifests)]}
    with atomic_dir(out) as tmp:
        for file in members[0].iterdir():
            if file.is_file() and file.name not in (WEIGHTS, MANIFEST_NAME, "README.md", SPAN_HEAD_FILE):
                shutil.copy2(file, tmp / file.name)
        save_file(average, str(tmp / WEIGHTS), metadata={"format": "pt"})
        write_manifest(tmp, manifest)
        from .model_card import write_model_card

        write_model_card(tmp)
    return json.loads(json.dumps(manifest["soup"]))
