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

ANSWER_STYLES = ("direct", "scan", "grounded")
RESPONDERS = {"brief": brief, "conversation": conversation, "detail": detail, "reasoning": reasoning}


@register("rules")
@dataclass(frozen=True)
class RulesTeacher:
    """Template answers from ground truth. ``answers``: ``direct`` (the verdict first: "There are two
    cubes: ...", "No, there is no ..."), ``scan`` (counting and yes/no answers list every visible
    object left to right, then conclude: "... so there are two.", "... so no, there is no ...") or
    ``grounded`` (counting, yes/no and relation answers name only the objects their verdict rests on,
    then conclude: "Looking for cubes: the red cube [..], so there is one.", "The closest match to a
    red cone is the red cube, so no, ... It is the red cube [..]."; relations name the two objects in the
    question's order and compare their numbers: "Of 0.34 and 0.61, the first is smaller. So yes, ...";
    colour, shape and size answers box the object before they name the attribute: "The cylinder [..] is
    purple.")."""

    answers: str = "direct"

    def __post_init__(self):
        if self.answers not in ANSWER_STYLES:
            raise ValueError(f"rules teacher: answers must be one of {ANSWER_STYLES}, got {self.answers!r}")

    def respond(self, truth: dict, kind: str, rng: random.Random) -> list[Turn]:
        if check_kind(kind) in ("conversation", "reasoning"):
            return RESPONDERS[kind](SceneFacts(truth), rng, style=self.answers)
        return RESPONDERS[kind](SceneFacts(truth), rng)
