"""Brief captions (stage 1) and detailed descriptions (the paper's "detailed description" type).

The question is one of the paper's instructions (:mod:`training.data.instructions`); the answer
describes only what is visible and gives every named object's box.
"""
from __future__ import annotations

import random

from training.data.instructions import BRIEF, DETAILED
from training.data.scene_facts import SceneFacts, count_word, join_phrases
from training.data.teachers.base import Turn

PARTLY_VISIBLE = 0.9  # visible fraction below which an object is "only partly visible"


def _objects_noun(n: int) -> str:
    return f"{count_word(n)} {'object' if n == 1 else 'objects'}"


def brief(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """One short caption naming every visible object with its box."""
    objs = facts.visible
    n = len(objs)
    fact = {"type": "brief", "count": n}
    if n == 0:
        caption = rng.choice(["An empty table in front of a robot arm.",
                              "A robot arm next to a bare table."])
        return [Turn(rng.choice(BRIEF), caption, fact)]
    described = join_phrases([o.described() for o in objs])
    ordered = join_phrases([o.ref() for o in facts.left_to_right()])
    caption = rng.choice([
        f"A robot arm at a table with {_objects_noun(n)}: {described}.",
        f"{_objects_noun(n).capitalize()} on a table in front of a robot: {described}.",
        f"A tabletop scene with {described}.",
        f"A robot's table holding, from left to right, {ordered}.",
    ])
    return [Turn(rng.choice(BRIEF), caption, fact)]


def _nearest_and_farthest(facts: SceneFacts, rng: random.Random) -> tuple[str, dict]:
    near, far = facts.nearest_to_camera(), facts.farthest_from_camera()
    sentences = []
    if near is not None:
        sentences.append(rng.choice([f"Nearest to the camera, at the front of the table, is {near.ref()}.",
                                     f"{near.ref().capitalize()} stands closest to the camera."]))
    if far is not None and far is not near:
        sentences.append(rng.choice([f"Farthest back, closest to the robot, is {far.ref()}.",
                                     f"{far.ref().capitalize()} stands farthest from the camera, near the robot."]))
    return " ".join(sentences), {"nearest_camera": near.label if near else None,
                                 "farthest_camera": far.label if far and far is not near else None}


def detail(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """A paragraph: the setting, every visible object, left-to-right order, depth, occlusion, height."""
    objs = facts.visible
    n = len(objs)
    question = rng.choice(DETAILED)
    if n == 0:
        text = ("The image shows a robot arm at the far side of a table. The table in front of it is "
                "empty: there are no objects to see or to pick up.")
        fact = {"type": "detail", "count": 0, "order": [], "partly_visible": [], "tallest": None}
        return [Turn(question, text, fact)]
    ordered = facts.left_to_right()
    parts = [rng.choice([
        f"The image shows a robot arm standing at the far side of a table, with {_objects_noun(n)} "
        f"on the table in front of it: {join_phrases([o.described() for o in objs])}.",
        f"This is a tabletop scene seen from the front. A robot arm waits behind the table, on which "
        f"{'stands' if n == 1 else 'stand'} {_objects_noun(n)}: {join_phrases([o.described() for o in objs])}.",
    ])]
    if n > 1:
        parts.append(rng.choice(["From left to right, the objects are {l}.",
                                 "Going from the left edge of the image to the right, we see {l}."])
                     .format(l=join_phrases([o.ref() for o in ordered])))
    depth_text, depth_fact = _nearest_and_farthest(facts, rng) if n > 1 else ("", {})
    if depth_text:
        parts.append(depth_text)
    partly = [o for o in objs if o.visible_fraction < PARTLY_VISIBLE]
    if partly:
        verb = "is" if len(partly) == 1 else "are"
        parts.append(f"{join_phrases([o.ref() for o in partly]).capitalize()} {verb} only partly visible, "
                     f"hidden in part by another object, the robot or the edge of the image.")
    tallest = facts.tallest() if n > 1 else None
    if tallest is not None:
        parts.append(f"The tallest object is {tallest.ref()}, about {100 * tallest.height_m:.1f} cm high.")
    colours = sorted({o.colour for o in objs})
    parts.append(f"The only colour on the table is {colours[0]}." if len(colours) == 1
                 else f"The colours on the table are {join_phrases(colours)}.")
    fact = {"type": "detail", "count": n, "order": [o.label for o in ordered],
            "partly_visible": [o.label for o in partly], "tallest": tallest.label if tallest else None,
            **depth_fact}
    return [Turn(question, " ".join(parts), fact)]
