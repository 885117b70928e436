"""The fine-tune's settings, apart from the training code: `framing train` takes its flags'
defaults from them, and importing this costs nothing (the trainer pulls in numpy and torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TransformerSettings:
    base: str | None = None
    epochs: int = 4
    batch_size: int = 16
    lr: float = 5e-5
    head_lr: float = 1e-3  # learning rate of the new classification head; 0 = same as lr
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_length: int = 128
    max_pos_weight: float = 5.0
    span_weight: float = 0.5  # weight of the auxiliary token-level span loss; 0 = off
    patience: int = 2
    eval_every: int = 500  # steps between dev evaluations; 0 = once per epoch
    max_steps: int = 0  # stop after this many optimiser steps (quick runs); 0 = no limit
    limit: int = 0  # use only the first N training rows (quick runs); 0 = all
    seed: int = 13
    device: str = "auto"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "max_length"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"TransformerSettings.{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("max_steps", "limit", "eval_every"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"TransformerSettings.{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.lr < 1:
            raise ValueError(f"TransformerSettings.lr must be in (0, 1), got {self.lr!r}")
        if not 0 <= self.head_lr < 1:
            raise ValueError(f"TransformerSettings.head_lr must be in [0, 1), got {self.head_lr!r}")
        if not 0 <= self.span_weight <= 100:
            raise ValueError(f"TransformerSettings.span_weight must be in [0, 100], got {self.span_weight!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"TransformerSettings.warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}")
