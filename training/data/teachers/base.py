"""What every teacher returns, and the response kinds it is asked for.

Kinds follow the paper: ``brief`` (stage-1 captions under a "describe briefly" instruction),
``conversation`` (multi-turn questions and answers), ``detail`` (detailed description) and
``reasoning`` (complex reasoning). A teacher turns a scene's ground truth (``scene.json``, see
:mod:`sim.ground_truth`) into turns of one kind.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

KINDS: tuple[str, ...] = ("brief", "conversation", "detail", "reasoning")
STAGE_OF_KIND: dict[str, int] = {"brief": 1, "conversation": 2, "detail": 2, "reasoning": 2}


def check_kind(kind: str, known: tuple[str, ...] = KINDS) -> str:
    if kind not in known:
        raise ValueError(f"unknown response kind {kind!r}; known: {list(known)}")
    return kind


@dataclass(frozen=True)
class Turn:
    """One question and its answer. ``fact`` is the machine-readable claim behind the answer
    (rule teacher only, e.g. ``{"type": "count", "colour": "red", "shape": None, "n": 2}``), so
    tests can check the answer against ground truth; it is not written to the data files."""

    question: str
    answer: str
    fact: dict = field(default_factory=dict)


class Teacher(Protocol):
    def respond(self, truth: dict, kind: str, rng: random.Random) -> list[Turn]:
        """Turns of ``kind`` about the scene ``truth``; ``rng`` makes every choice."""
        ...
