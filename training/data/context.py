"""The symbolic context a text-only teacher sees, formatted as in the paper (captions, then boxes).

    A robot arm at a table with three objects: a large purple sphere, ...
    From left to right: the orange cylinder, the blue cone and the purple sphere.

    purple sphere: [0.66, 0.42, 0.76, 0.51]
    orange cylinder: [0.13, 0.44, 0.24, 0.58]

Boxes use the answer syntax of :mod:`llava_ros.boxes`, so a teacher can copy them verbatim.
Only visible objects are listed.
"""
from __future__ import annotations

from training.data.scene_facts import SceneFacts


def symbolic_context(truth: dict) -> str:
    facts = SceneFacts(truth)
    lines = list(truth["captions"]) + [""]
    lines += [f"{o.label}: {o.box}" for o in facts.visible]
    return "\n".join(lines).rstrip() + "\n"


def context_boxes(truth: dict) -> dict[str, str]:
    """Label → box text of every visible object (what a teacher may cite)."""
    return {o.label: o.box for o in SceneFacts(truth).visible}
