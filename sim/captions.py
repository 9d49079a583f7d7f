"""Short reference captions of a scene, from its symbolic ground truth.

Left/right are in the image (the camera's view); only visible objects are described.
"""
from __future__ import annotations

_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"]


def _with_article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def join_phrases(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def count_word(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


def visible_objects(truth: dict) -> list[dict]:
    return [o for o in truth["objects"] if o["bbox_xyxy"] is not None]


def box_centre_u(obj: dict) -> float:
    x1, _, x2, _ = obj["bbox_xyxy"]
    return 0.5 * (x1 + x2)


def reference_captions(truth: dict) -> list[str]:
    objs = visible_objects(truth)
    if not objs:
        return ["An empty table in front of a robot arm."]
    n = len(objs)
    noun = "object" if n == 1 else "objects"
    described = [_with_article(f"{o['size']} {o['label']}") for o in objs]
    captions = [f"A robot arm at a table with {count_word(n)} {noun}: {join_phrases(described)}."]
    ordered = sorted(objs, key=box_centre_u)
    if n > 1:
        captions.append("From left to right: " + join_phrases([f"the {o['label']}" for o in ordered]) + ".")
        captions.append(f"The {ordered[0]['label']} is on the left and the {ordered[-1]['label']} is on the right.")
    else:
        captions.append(f"A single {objs[0]['label']} stands on the table.")
    colours = sorted({o["colour"] for o in objs})
    captions.append(f"The table holds {join_phrases(colours)} objects.")
    return captions
