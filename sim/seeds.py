"""Seed policy shared by tests, training data and evaluation.

Seeds below ``TRAIN_SEED_LIMIT`` are for tests, training data and examples. Seeds of
``HELDOUT_SEED_START`` and above are reserved for held-out evaluation and must never be used to
generate training data.
"""
from __future__ import annotations

import re

TRAIN_SEED_LIMIT = 1_000_000
HELDOUT_SEED_START = 1_000_000_000


def is_heldout(seed: int) -> bool:
    return seed >= HELDOUT_SEED_START


def check_training_seed(seed: int) -> int:
    """Return ``seed`` if it may be used for training data, else raise ``ValueError``."""
    if not 0 <= seed < TRAIN_SEED_LIMIT:
        raise ValueError(
            f"seed {seed} may not be used for training: training seeds lie in [0, {TRAIN_SEED_LIMIT}); "
            f"seeds >= {HELDOUT_SEED_START} are reserved for held-out evaluation")
    return seed


def parse_seed_range(text: str) -> range:
    """``"A:B"`` → ``range(A, B)``; a single number ``"A"`` → ``range(A, A + 1)``."""
    match = re.fullmatch(r"\s*(\d+)\s*(?::\s*(\d+)\s*)?", text)
    if match is None:
        raise ValueError(f"seed range {text!r} is not of the form A:B (or a single seed A)")
    start = int(match.group(1))
    stop = int(match.group(2)) if match.group(2) is not None else start + 1
    if stop <= start:
        raise ValueError(f"seed range {text!r} is empty: B must be greater than A")
    return range(start, stop)
