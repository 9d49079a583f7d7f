"""Reading facts back out of free-text answers: colours, shapes, counts, yes/no, boxes, IoU."""
from __future__ import annotations

import re

from llava_ros.boxes import parse_boxes

COLOUR_WORDS = ("red", "green", "blue", "yellow", "purple", "orange")
SHAPE_WORDS = {"cube": "cube", "cubes": "cube", "sphere": "sphere", "spheres": "sphere",
               "cylinder": "cylinder", "cylinders": "cylinder", "cone": "cone", "cones": "cone"}
NUMBER_WORDS = {"no": 0, "zero": 0, "none": 0, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4,
                "five": 5, "six": 6, "seven": 7, "eight": 8}
_COLOUR_RE = re.compile(r"\b(" + "|".join(COLOUR_WORDS) + r")\b", re.IGNORECASE)
_SHAPE_RE = re.compile(r"\b(" + "|".join(SHAPE_WORDS) + r")\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\b(\d+|" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
_ANY_RE = re.compile(r"\bany\b", re.IGNORECASE)
_VERDICT_ATTRIBUTE_RE = re.compile(r"\bso the\b", re.IGNORECASE)
_VERDICT_COUNT_RE = re.compile(r"\bso there (?:is|are) (\d+|" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)


def conclusion(answer: str) -> str:
    """The part of an answer a colour or shape is read from: after its last "so the" when it reasons
    first ("Looking for cubes: the cube [..] is a large red cube, the cube [..] is a small blue cube, so
    the small cube is a small blue cube [..]."), otherwise all of it."""
    starts = [m.end() for m in _VERDICT_ATTRIBUTE_RE.finditer(answer)]
    return answer[starts[-1]:] if starts else answer


def first_colour(answer: str) -> str | None:
    match = _COLOUR_RE.search(conclusion(answer))
    return match.group(1).lower() if match else None


def first_shape(answer: str) -> str | None:
    match = _SHAPE_RE.search(conclusion(answer))
    return SHAPE_WORDS[match.group(1).lower()] if match else None


def first_count(answer: str) -> int | None:
    """The count an answer gives: its "so there are N" verdict if it reasons first (the scan-first
    answers of the rule teacher), else the first number ("There are two ..." → 2; "no ..." / "not ...
    any" → 0)."""
    verdict = _VERDICT_COUNT_RE.search(answer)
    if verdict:
        token = verdict.group(1).lower()
        return int(token) if token.isdigit() else NUMBER_WORDS[token]
    text = answer.split("[")[0] if "[" in answer else answer
    match = _NUMBER_RE.search(text)
    if match:
        token = match.group(1).lower()
        return int(token) if token.isdigit() else NUMBER_WORDS[token]
    return 0 if _ANY_RE.search(text) else None


def yes_no(answer: str) -> bool | None:
    """True for an answer that says yes, False for no, None if it says neither (first word wins;
    otherwise a "so yes" / "so no" verdict as the reasoning answers end with)."""
    words = re.findall(r"[a-z]+", answer.lower())
    if words and words[0] in ("yes", "no"):
        return words[0] == "yes"
    verdict = re.search(r"\bso (yes|no)\b", answer.lower())
    return verdict.group(1) == "yes" if verdict else None


def nearer_label(answer: str, a: str, b: str) -> str | None:
    """Which of the labels ``a``, ``b`` the answer puts in front ("the A is in front of the B")."""
    match = re.search(r"the ([a-z]+ [a-z]+) is in front of the ([a-z]+ [a-z]+)", answer.lower())
    if match and {match.group(1), match.group(2)} == {a, b}:
        return match.group(1)
    return None


def first_box(answer: str) -> tuple[float, float, float, float] | None:
    boxes = parse_boxes(answer)
    return boxes[0][1] if boxes else None


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pope_says_yes(answer: str) -> bool:
    """POPE's yes/no reading, as LLaVA's ``llava/eval/eval_pope.py`` does it: keep the first sentence,
    drop commas; "No", "no" or "not" among its words means no, anything else (gibberish too) means yes."""
    text = answer.split(".")[0] if "." in answer else answer
    words = text.replace(",", "").split(" ")
    return not ("No" in words or "not" in words or "no" in words)
