"""Learning-rate schedules: warm-up given as a ratio of the run, then transformers' own schedules.

The paper (and LLaVA's ``train.py`` through the HF Trainer) uses ``cosine`` with ``warmup_ratio
0.03``: linear warm-up from 0 over ``ceil(0.03 * total_steps)`` steps, then a half cosine to 0.
"""
from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR
from transformers import get_scheduler

SCHEDULES = ("cosine", "linear", "constant_with_warmup")


def warmup_steps(total_steps: int, warmup_ratio: float) -> int:
    """HF TrainingArguments.get_warmup_steps: ``ceil(total * ratio)``."""
    return math.ceil(total_steps * warmup_ratio)


def build_schedule(name: str, optimizer: Optimizer, total_steps: int, warmup_ratio: float) -> LambdaLR:
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known: {SCHEDULES}")
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    return get_scheduler(name, optimizer, num_warmup_steps=warmup_steps(total_steps, warmup_ratio),
                         num_training_steps=total_steps)
