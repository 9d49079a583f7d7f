"""Attribute drills: every colour and shape question a scene allows, one question per record (not in the paper).

A colour question names its object by shape or size alone ("What colour is the cylinder?"), so the
answer must first find that object; a shape question names it by colour. In the instruction data they
are two of six conversation questions: 1,246 colour turns among the 129,190 records that v21 and v22
trained on. Both answer colour questions right only 0.605 of the time over 120 held-out scenes, while
v22's tower names held-out shapes 0.992 of the time (docs/grounding.md, v22). These records ask about each
visible object that such a reference singles out: its colour, then its shape, each in the rules
teacher's grounded style (the object's reference and box first, then its colour or shape: the answer
finds the object before it reads the attribute off it; v26 answers colour questions right 0.860 of the
time, docs/grounding.md). ``training.data.generate`` writes them to ``stage2_attributes.json`` when
asked (``--kinds attribute``), to mix into a stage-2 pass.

Size drills (``--kinds size``, ``stage2_sizes.json``) are the attribute questions whose reference names a
size ("the small cube"), answered after the listing of the candidates with their sizes that picks the
object (:func:`training.data.teachers.rules.conversation.size_listing`), and, for each visible object its
label names, "Is the red cube large or small?" answered with its box, then its size: v26 answered the
size-named questions by chance and v29, comparing box heights, 17 times of 29.
"""
from __future__ import annotations

import random
import re

from training.data.scene_facts import SceneFacts
from training.data.teachers.base import Turn
from training.data.teachers.rules.conversation import SIZES, colour_of, shape_of, size_of

STYLE = "grounded"
_SIZED = re.compile(r"\b(" + "|".join(SIZES) + r")\b")  # the size words size_listing handles


def attribute_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """For each visible object, left to right: its colour question, then its shape question, each where
    a reference without that attribute singles the object out."""
    return [turn for obj in facts.left_to_right() for ask in (colour_of, shape_of)
            if (turn := ask(facts, rng, obj, style=STYLE)) is not None]


def size_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """The turns of :func:`attribute_turns` whose question names the object by its size, then each
    object's size question, left to right."""
    sized = [turn for turn in attribute_turns(facts, rng) if _SIZED.search(turn.question)]
    return sized + [turn for obj in facts.left_to_right() if (turn := size_of(facts, rng, obj, style=STYLE))]
