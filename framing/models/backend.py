"""The interface every model backend implements (baseline, transformer, blend).

`Classifier` talks to a backend only through this protocol: no attribute probing. A backend
scores texts into one column per name in `outputs` (the labels, then any extra head such as
"any-technique") and says how many inputs it had to truncate in that call, so callers that
score from several threads or actors can add the counts up themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TokenScores:
    """Span-head output for one input text (models with a span head only)."""

    offsets: np.ndarray  # (tokens, 2) character offsets of the text's real tokens (no special tokens)
    probs: np.ndarray  # (tokens, span outputs) probability that the token is inside a span of each output
    features: np.ndarray | None = None  # (tokens, hidden) last hidden states, only when asked for


@dataclass(frozen=True)
class Prediction:
    scores: np.ndarray  # float32, one row per input text, one column per `Backend.outputs` name
    truncated: int = 0  # inputs of this call cut to the model's maximum length
    tokens: list[TokenScores] | None = None  # per input text, from the same forward pass; None without a span head


@runtime_checkable
class Backend(Protocol):
    @property
    def outputs(self) -> list[str]:
        """Names of the output columns, in order (the model's labels, then extra heads)."""
        ...

    @property
    def precision(self) -> str:
        """The numeric precision the backend computes in: fp32, bf16, fp16 or int8."""
        ...

    @property
    def span_head(self):
        """The `span_head.SpanHead` whose token scores predictions carry, or None."""
        ...

    def predict_outputs(self, texts: list[str], token_features: bool = False) -> Prediction:
        """Scores of `texts`; `token_features` also returns each token's hidden state (span
        models only: what the technique classifier of a given span reads)."""
        ...
