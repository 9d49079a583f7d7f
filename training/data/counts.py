"""Counting drills: every counting question by shape, by the colours on the table and in all, one question
per record (not in the paper).

Counting stayed between 0.683 and 0.725 from v17 to v22 (over 120 held-out scenes; goal 0.95), and every
error is a wrong listing, never a wrong count of the model's own list (docs/grounding.md, v15 and v17): to
count the cubes the answer must first find every cube, the same look-up by shape that the colour
questions fail (:mod:`training.data.attributes`). The instruction data and the verdict drills ask one
counting question per record drawn at random, so most scenes never have each of their shapes counted.
These records ask, for each scene: how many objects of each of the four shapes (zero included), of each
colour that a visible object has, and in all, answered in the grounded style ("Looking for red objects: the
red cube [..], the red cone [..], so there are two."; by shape, colour by colour: "Looking for cubes: red,
the red cube [..]; green, none; ...; so there are two."). ``training.data.generate`` writes them to
``stage2_counts.json`` when asked (``--kinds count``), to mix into a stage-2 pass.
"""
from __future__ import annotations

import random

from sim.catalogue import COLOURS, SHAPES
from training.data.scene_facts import SceneFacts
from training.data.teachers.base import Turn
from training.data.teachers.rules.conversation import how_many

STYLE = "grounded"


def counted_sets(facts: SceneFacts) -> list[dict]:
    """What the drills count in a scene: each shape, each colour a visible object has, then everything."""
    seen = {o.colour for o in facts.visible}
    return [{"shape": s} for s in SHAPES] + [{"colour": c} for c in COLOURS if c in seen] + [{}]


def count_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """One grounded counting turn per :func:`counted_sets` entry, phrasing drawn from ``rng``."""
    return [how_many(facts, rng, style=STYLE, attrs=attrs) for attrs in counted_sets(facts)]
