"""Complex-reasoning questions (the paper's third type): one question, a step-by-step answer.

Spatial relations, counting comparisons, reach and task-driven choices ("which object should the
robot pick to ... and why"). Each generator is ``(facts, rng) -> Turn | None``; only relations
with a clear margin (see :mod:`training.data.scene_facts`) are asked about. The two relation
questions take the answer ``style`` of :mod:`training.data.teachers.rules`: ``grounded`` names the two
objects in the question's order (``direct`` and ``scan``: the left or nearer one first) and then compares
their two numbers in one sentence ("Of 0.34 and 0.61, the first is smaller") before the verdict.
"""
from __future__ import annotations

import random

from sim.catalogue import COLOURS
from training.data.scene_facts import SceneFacts, count_word, join_phrases
from training.data.teachers.base import Turn


def _pairs(facts: SceneFacts, relation) -> list[tuple]:
    """Ordered pairs (a, b) of visible objects for which ``relation(a, b)`` is True."""
    return [(a, b) for a in facts.visible for b in facts.visible if a is not b and relation(a, b)]


def _compared(x: str, y: str, first_smaller: bool) -> str:
    """ "Of 0.34 and 0.61, the first is smaller" (unpunctuated): the grounded style states the comparison its verdict
    follows from right after the two numbers, so the decision reads two adjacent numbers, not two read
    across the boxes between them (the models' relation verdicts were wrong about 30% of the time that
    way; docs/grounding.md, v16)."""
    return f"Of {x} and {y}, the first is {'smaller' if first_smaller else 'larger'}"


def left_right(facts: SceneFacts, rng: random.Random, style: str = "direct") -> Turn | None:
    pairs = _pairs(facts, facts.left_of)
    if not pairs:
        return None
    left, right = rng.choice(pairs)
    a, b = (left, right) if rng.random() < 0.5 else (right, left)
    holds = a is left
    question = rng.choice(["Is the {a} to the left of the {b}?", "Does the {a} stand left of the {b}?",
                           "From the camera's point of view, is the {a} on the left of the {b}?"])
    first, second = (a, b) if style == "grounded" else (left, right)
    at = (f"{first.u / facts.width:.2f}", f"{second.u / facts.width:.2f}")
    reason = (f"Looking at the image, {first.ref()} is centred at {at[0]} of the image width, "
              f"while {second.ref()} is centred at {at[1]}.")
    if style == "grounded":
        reason += f" {_compared(*at, first_smaller=holds)}."
    verdict = (f"So yes, the {a.label} is to the left of the {b.label}." if holds
               else f"So no, the {a.label} is to the right of the {b.label}, not to its left.")
    return Turn(question.format(a=a.label, b=b.label), f"{reason} {verdict}",
                {"type": "left_of", "a": left.label, "b": right.label})


def front_behind(facts: SceneFacts, rng: random.Random, style: str = "direct") -> Turn | None:
    pairs = _pairs(facts, facts.in_front_of)
    if not pairs:
        return None
    near, far = rng.choice(pairs)
    a, b = (near, far) if rng.random() < 0.5 else (far, near)
    question = rng.choice(["Which is closer to the camera, the {a} or the {b}?",
                           "Is the {a} in front of or behind the {b}?",
                           "Of the {a} and the {b}, which one stands nearer to the viewer?"])
    first, second = (a, b) if style == "grounded" else (near, far)
    at = (f"{first.depth_m:.2f}", f"{second.depth_m:.2f}")
    compared = f". {_compared(*at, first_smaller=a is near)}" if style == "grounded" else ""
    answer = (f"The camera looks at the table from the front, so objects lower in the image are nearer. "
              f"{first.ref().capitalize()} is about {at[0]} m from the camera and "
              f"{second.ref()} about {at[1]} m{compared}, so the {near.label} is in front of the "
              f"{far.label}, and the {far.label} is behind it.")
    return Turn(question.format(a=a.label, b=b.label), answer,
                {"type": "in_front_of", "a": near.label, "b": far.label})


def reach(facts: SceneFacts, rng: random.Random) -> Turn | None:
    best = facts.closest_to_robot()
    if best is None or len(facts.visible) < 2:
        return None
    ranked = sorted(facts.visible, key=lambda o: o.robot_distance_m)
    question = rng.choice([
        "The robot should pick up the object it can reach most easily. Which one should it pick, and why?",
        "Which object is closest to the robot arm?",
        "If the robot wants the shortest reach, which object should it grasp first?"])
    answer = (f"The robot arm stands at the far side of the table, at the top of the image, so objects "
              f"higher up in the image are nearer to it. {best.ref().capitalize()} is about "
              f"{best.robot_distance_m:.2f} m from the robot's base, closer than any other object; the next "
              f"one, {ranked[1].ref()}, is about {ranked[1].robot_distance_m:.2f} m away. "
              f"So the robot should pick the {best.label}.")
    return Turn(question, answer, {"type": "closest_to_robot", "label": best.label})


def taller(facts: SceneFacts, rng: random.Random) -> Turn | None:
    pairs = _pairs(facts, facts.taller)
    if not pairs:
        return None
    high, low = rng.choice(pairs)
    a, b = (high, low) if rng.random() < 0.5 else (low, high)
    question = rng.choice(["Which is taller, the {a} or the {b}?", "Is the {a} taller than the {b}?"])
    answer = (f"{high.ref().capitalize()} is a {high.size} {high.shape} about {100 * high.height_m:.1f} cm "
              f"high, while {low.ref()} is a {low.size} {low.shape} about {100 * low.height_m:.1f} cm high. "
              f"So the {high.label} is the taller of the two.")
    return Turn(question.format(a=a.label, b=b.label), answer, {"type": "taller", "a": high.label, "b": low.label})


def more_of_colour(facts: SceneFacts, rng: random.Random) -> Turn | None:
    c1, c2 = rng.sample(sorted({o.colour for o in facts.visible} | set(rng.sample(list(COLOURS), 2))), 2)
    g1, g2 = facts.matching(colour=c1), facts.matching(colour=c2)
    question = rng.choice(["Are there more {a} objects than {b} objects?",
                           "Compare the number of {a} and {b} objects in the image."]).format(a=c1, b=c2)

    def listing(colour, group):
        if not group:
            return f"there are no {colour} objects"
        return f"there {'is' if len(group) == 1 else 'are'} {count_word(len(group))} {colour} " \
               f"{'object' if len(group) == 1 else 'objects'} ({join_phrases([o.ref() for o in group])})"
    verdict = ("so there are more {a} objects." if len(g1) > len(g2) else
               "so there are fewer {a} objects than {b} ones." if len(g1) < len(g2) else
               "so there are as many {a} objects as {b} ones.").format(a=c1, b=c2)
    answer = f"Counting them, {listing(c1, g1)}, and {listing(c2, g2)}; {verdict}"
    return Turn(question, answer, {"type": "compare_count", "a": c1, "b": c2, "na": len(g1), "nb": len(g2)})


def stacking_base(facts: SceneFacts, rng: random.Random) -> Turn | None:
    flat = [o for o in facts.visible if o.shape in ("cube", "cylinder")]
    not_flat = [o for o in facts.visible if o.shape in ("sphere", "cone")]
    if not flat or not facts.visible:
        return None
    question = rng.choice(["I want to stack a block on top of one of these objects. Which one should I use "
                           "as the base, and why?",
                           "Which object would make a stable base for stacking another object on it?"])
    cubes = [o for o in flat if o.shape == "cube"]
    choice = max(cubes or flat, key=lambda o: (o.size == "large", o.label))
    answer = f"A good base needs a flat top. {join_phrases([o.ref() for o in flat]).capitalize()} " \
             f"{'has a flat top' if len(flat) == 1 else 'have flat tops'}"
    answer += (f", whereas {join_phrases([o.ref() for o in not_flat])} would let a block slide or roll off." if not_flat
               else ".")
    answer += f" The best choice is {choice.ref()}: a {choice.size} {choice.shape} with a flat, " \
              f"{'square' if choice.shape == 'cube' else 'round'} top."
    return Turn(question, answer, {"type": "flat_top", "labels": [o.label for o in flat], "choice": choice.label})


REASONING = (left_right, front_behind, reach, taller, more_of_colour, stacking_base)
STYLED = (left_right, front_behind)  # the question types whose answer depends on the answer style


def reasoning(facts: SceneFacts, rng: random.Random, style: str = "direct") -> list[Turn]:
    """One complex-reasoning question: a random applicable generator (counting always applies)."""
    generators = list(REASONING)
    rng.shuffle(generators)
    for ask in generators:
        turn = ask(facts, rng, style=style) if ask in STYLED else ask(facts, rng)
        if turn is not None:
            return [turn]
    raise RuntimeError("no reasoning question applies (more_of_colour always should)")
