"""The ``rules`` teacher: deterministic, offline instruction data straight from ground truth.

Every statement is computed from ``scene.json`` (see :mod:`training.data.scene_facts`), so the
answers are true by construction; the ``rng`` only picks questions, objects and phrasings.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from training.data.scene_facts import SceneFacts
from training.data.teachers.base import Turn, check_kind
from training.data.teachers.registry import register
from training.data.teachers.rules.conversation import conversation
from training.data.teachers.rules.description import brief, detail
from training.data.teachers.rules.reasoning import reasoning

RESPONDERS = {"brief": brief, "conversation": conversation, "detail": detail, "reasoning": reasoning}


@register("rules")
@dataclass(frozen=True)
class RulesTeacher:
    """Template answers from ground truth; takes no options."""

    def respond(self, truth: dict, kind: str, rng: random.Random) -> list[Turn]:
        return RESPONDERS[check_kind(kind)](SceneFacts(truth), rng)
