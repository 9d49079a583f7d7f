"""Verdict drills: single questions whose grounded answers decide after naming objects (not in the paper).

A model trained on ``--answers grounded`` data names the right objects but decides badly from them:
`python -m training.probe_verdicts` finds its yes/no verdict right only 0.45 of the time when the true
grounding is handed to it (docs/grounding.md, v13). These records give the decision more examples: for
each scene, one yes/no question about a present object and one about an absent one (balanced, where the
conversation draws present or absent by chance), one left/right question, one front/behind question
and one counting question, each answered in the grounded style, each its own one-question record.
``training.data.generate`` writes them to ``stage2_verdicts.json`` when asked (``--kinds verdict``), to
mix into a stage-2 pass.
"""
from __future__ import annotations

import random

from training.data.scene_facts import SceneFacts
from training.data.teachers.base import Turn
from training.data.teachers.rules.conversation import how_many, is_there
from training.data.teachers.rules.reasoning import front_behind, left_right

STYLE = "grounded"
TRIES = 20  # draws of a yes/no question to find one with the wanted answer


def verdict_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """Up to five turns: yes/no about a present object and about an absent one, left/right, front/behind,
    counting (a type is left out where the scene has no such question, e.g. present objects on an empty
    table)."""
    turns = []
    for present in (True, False):
        for _ in range(TRIES):
            turn = is_there(facts, rng, style=STYLE)
            if turn is not None and turn.fact["answer"] == present:
                turns.append(turn)
                break
    for ask in (left_right, front_behind, how_many):
        turn = ask(facts, rng, style=STYLE)
        if turn is not None:
            turns.append(turn)
    return turns
