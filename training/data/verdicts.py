"""Verdict drills: single questions whose grounded answers decide after naming objects (not in the paper).

A model trained on ``--answers grounded`` data names the right objects but decides badly from them:
`python -m training.probe_verdicts` finds its yes/no verdict right only 0.45 of the time when the true
grounding is handed to it (docs/grounding.md, v13). These records give the decision more examples: for
each scene, one yes/no question about a present object and one about an absent one (balanced, where the
conversation draws present or absent by chance), a colour-swap pair (below), one left/right question, one
front/behind question and one counting question, each answered in the grounded style, each its own
one-question record. ``training.data.generate`` writes them to ``stage2_verdicts.json`` when asked
(``--kinds verdict``), to mix into a stage-2 pass.

The colour-swap pair asks about an absent label whose closest match has its shape but another colour
("Is there a yellow sphere?" - "The closest match to a yellow sphere is the orange sphere, so no, ..."),
and about that match itself. Drawn at random, absent labels mostly find a match of their own colour
(``closest_match`` looks for the colour first), so "no" follows a different shape far more often than a
different colour; v15 learnt to decide on the shape alone and said yes to 36 of 49 such held-out
questions (docs/grounding.md, v16).

Swap drills (``--kinds swap``, ``stage2_swaps.json``) are colour-swap pairs alone, up to
:data:`SWAPS_PER_SCENE` per scene. v17 still compared only the shapes: after "the orange sphere" and
after "the yellow sphere" alike (asked about a yellow sphere, teacher-forced), its p(yes) was about 0.6,
the share of "yes" among the drill records whose match has the asked shape. In a swap pair only the
colour tells "no" from "yes" (docs/grounding.md, v18).
"""
from __future__ import annotations

import random

from sim.catalogue import COLOURS
from training.data.scene_facts import SceneFacts
from training.data.teachers.base import Turn
from training.data.teachers.rules.conversation import closest_match, how_many, is_there
from training.data.teachers.rules.reasoning import front_behind, left_right

STYLE = "grounded"
TRIES = 20  # draws of a yes/no question to find one with the wanted answer
SWAPS_PER_SCENE = 2  # colour-swap pairs per scene in the swap drills


def colour_swaps(facts: SceneFacts) -> list[str]:
    """Absent labels whose closest match has the same shape in another colour: a visible object's shape in
    a colour that no visible object has."""
    seen = {o.colour for o in facts.visible}
    shapes = sorted({o.shape for o in facts.visible})
    absent = set(facts.absent_labels())
    return [f"{c} {s}" for s in shapes for c in COLOURS if c not in seen and f"{c} {s}" in absent]


def swap_pair(facts: SceneFacts, rng: random.Random, label: str) -> list[Turn]:
    """Yes/no about the absent ``label`` (a :func:`colour_swaps` label), then about its closest match."""
    return [is_there(facts, rng, style=STYLE, label=asked) for asked in (label, closest_match(facts, label).label)]


def swap_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """Up to :data:`SWAPS_PER_SCENE` colour-swap pairs on different labels, drawn at random (none where
    the scene has no colour swap)."""
    swaps = colour_swaps(facts)
    return [turn for label in rng.sample(swaps, min(SWAPS_PER_SCENE, len(swaps)))
            for turn in swap_pair(facts, rng, label)]


def verdict_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """Up to seven turns: yes/no about a present object and about an absent one, the colour-swap pair
    (absent label, then its match), left/right, front/behind, counting (a type is left out where the scene
    has no such question, e.g. present objects on an empty table)."""
    turns = []
    for present in (True, False):
        for _ in range(TRIES):
            turn = is_there(facts, rng, style=STYLE)
            if turn is not None and turn.fact["answer"] == present:
                turns.append(turn)
                break
    swaps = colour_swaps(facts)
    if swaps:
        turns += swap_pair(facts, rng, rng.choice(swaps))
    for ask in (left_right, front_behind, how_many):
        turn = ask(facts, rng, style=STYLE)
        if turn is not None:
            turns.append(turn)
    return turns
