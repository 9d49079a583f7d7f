"""Region-level records: referring expression → box and box → short description.

LLaVA-1.5 (Liu et al. 2023, "Improved Baselines with Visual Instruction Tuning", Table 7) adds
RefCOCO and Visual Genome to the stage-2 mix under two fixed prompts, and packs several regions of
one image into one multi-turn conversation:

- ``Please provide the bounding box coordinate of the region this sentence describes: {ref}``
  → the box alone, ``[x1, y1, x2, y2]`` normalised with two decimals;
- ``Please provide a short description for this region: [x1, y1, x2, y2]`` → a short phrase.

Here the annotations are the sim's ground truth, so no teacher is involved (LLaVA-1.5 did not ask
GPT for these either). Every answer token is grounding signal, which is why this kind exists: the
paper's three kinds spend most of their tokens on words the LLM can predict without the image
(``python -m training.image_reliance`` measures that). It is not one of the paper's kinds, so
``training.data.generate`` writes it only when asked (``--kinds ...,region``).
"""
from __future__ import annotations

import random

from training.data.scene_facts import SceneFacts, SceneObject
from training.data.teachers.base import Turn

REFER_PROMPT = "Please provide the bounding box coordinate of the region this sentence describes: {}"
DESCRIBE_PROMPT = "Please provide a short description for this region: {}"
DESCRIBE_SHARE = 0.25  # share of regions asked box → description instead of description → box


def references(facts: SceneFacts, obj: SceneObject) -> list[str]:
    """Phrases that single ``obj`` out among the visible objects: its label always (labels are
    unique in a scene), plus a shorter attribute phrase when one is unique."""
    phrases = [obj.label, f"the {obj.label}", f"{obj.size} {obj.label}"]
    short = facts.unique_reference(obj)
    if short:
        phrases += [short, f"the {short}"]
    return phrases


def region_turns(facts: SceneFacts, rng: random.Random) -> list[Turn]:
    """One turn per visible object, in random order; an empty list for a scene with none."""
    objects = list(facts.visible)
    rng.shuffle(objects)
    turns = []
    for obj in objects:
        if rng.random() < DESCRIBE_SHARE:
            answer = rng.choice([obj.label, f"{obj.size} {obj.label}", f"a {obj.size} {obj.label}"])
            turns.append(Turn(DESCRIBE_PROMPT.format(obj.box), answer,
                              {"type": "describe_region", "label": obj.label, "box": obj.box}))
        else:
            turns.append(Turn(REFER_PROMPT.format(rng.choice(references(facts, obj))), obj.box,
                              {"type": "refer", "label": obj.label, "box": obj.box}))
    return turns
