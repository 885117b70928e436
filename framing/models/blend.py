"""A transformer whose outputs are averaged with a saved baseline's (kept in a subfolder):
`(1 - w) * primary + w * secondary`, per output name. The blend was chosen on dev because the
baseline's lexical cues help the rare techniques the small encoder misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..manifest import read_manifest
from .backend import Backend, Prediction


class BlendBackend:
    def __init__(self, primary: Backend, secondary: Backend, weight: float):
        self.primary, self.secondary, self.weight = primary, secondary, float(weight)
        self.columns = self.columns_for(primary.outputs, secondary.outputs)

    @staticmethod
    def columns_for(outputs: list[str], secondary_outputs: list[str]) -> list[tuple[int, int]]:
        """(primary column, secondary column) for every output both models have."""
        return [(j, secondary_outputs.index(name)) for j, name in enumerate(outputs) if name in secondary_outputs]

    @staticmethod
    def combine(primary: np.ndarray, secondary: np.ndarray, weight: float, columns) -> np.ndarray:
        """The blend itself; outputs only the primary model has are kept as they are."""
        out = np.array(primary, dtype=np.float32)
        for j, k in columns:
            out[:, j] = (1 - weight) * out[:, j] + weight * secondary[:, k]
        return out

    @classmethod
    def load(cls, path: Path, manifest: dict, primary: Backend) -> BlendBackend:
        from .baseline import BaselineModel

        blend = manifest["blend"]
        sub = Path(path) / str(blend.get("path", ""))
        sub_manifest = read_manifest(sub)
        if sub_manifest["model_type"] != "baseline":
            raise ModelLoadError(f"{path}: blend member {sub.name} must be a baseline model")
        weight = blend.get("weight")
        if not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise ModelLoadError(f"{path}: blend.weight must be a number in [0, 1], got {weight!r}")
        secondary = BaselineModel.load(sub, sub_manifest.get("outputs", sub_manifest["labels"]))
        return cls(primary, secondary, weight)

    @property
    def outputs(self) -> list[str]:
        return self.primary.outputs

    @property
    def precision(self) -> str:
        return self.primary.precision

    @property
    def span_head(self):
        return self.primary.span_head

    def blend_with(self, primary_scores: np.ndarray, texts: list[str]) -> np.ndarray:
        """The blend of given primary scores (e.g. another engine's) with the secondary's."""
        return self.combine(primary_scores, self.secondary.predict_outputs(texts).scores, self.weight, self.columns)

    def predict_outputs(self, texts: list[str], token_features: bool = False) -> Prediction:
        first = self.primary.predict_outputs(texts, token_features)
        return Prediction(self.blend_with(first.scores, texts), first.truncated, first.tokens)  # spans: primary only
