"""The ONE box syntax of llava_ros answers: normalised ``[x1, y1, x2, y2]`` after the object's name.

Syntax (LLaVA-1.5 style)::

    the red cube [0.41, 0.52, 0.49, 0.61]

- Four numbers in square brackets, separated by ", ": left, top, right, bottom.
- Each is a pixel coordinate divided by the image width (x) or height (y), written with exactly
  two decimals, so 0 ≤ x1 < x2 ≤ 1 and 0 ≤ y1 < y2 ≤ 1. Pixel boxes are ``[x1, y1, x2, y2]`` with
  x2, y2 exclusive (as in ``scene.json``), so the whole image is ``[0.00, 0.00, 1.00, 1.00]``.
  x1, y1 are rounded down and x2, y2 up to the hundredth: the box always contains the object and
  is never empty, even for an object a pixel wide.
- The box follows the name of the object it locates. The *phrase* of a box is the run of words
  right before it, after the last punctuation mark (``. , ; : ! ? ( ) " [ ]`` or a newline) and after
  the last word in :data:`STOPWORDS`, at most :data:`MAX_PHRASE_WORDS` words:
  "From left to right: the blue cone [..] and the large red cube [..]" gives
  ``("blue cone", ...)`` and ``("large red cube", ...)``.

Writers (teachers, :func:`format_box`) always emit two decimals; :func:`parse_boxes` also reads
other decimal counts, so a model that writes ``[0.4, 0.5, 0.6, 0.7]`` is still understood.
Dependency-free: the ROS perception node parses model answers with this module.
"""
from __future__ import annotations

import math
import re

MAX_PHRASE_WORDS = 4
STOPWORDS = frozenset("""
a an the this that these those and or but nor of at in on to into onto with from by for as near
than between behind beside next left right front is are was were be it its there here i you we
see pick grasp take grab up down put place move reach touch located lies stands sits find
""".split())

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
BOX_PATTERN = re.compile(rf"\[\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\]")
# Anything in square brackets that contains a digit: an attempted box (checked in strict mode).
_BRACKETED_NUMBERS = re.compile(r"\[[^\[\]]*\d[^\[\]]*\]")
_PHRASE_BREAK = re.compile(r"[.,;:!?()\"\[\]\n]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")

Box = tuple[float, float, float, float]


def normalise_box(bbox_px, width: int, height: int) -> Box:
    """Pixel box ``[x1, y1, x2, y2]`` (x2, y2 exclusive) → fractions of the image, rounded outwards to 0.01."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if bbox_px is None or len(bbox_px) != 4:
        raise ValueError(f"pixel box must have 4 numbers [x1, y1, x2, y2], got {bbox_px!r}")
    x1, y1, x2, y2 = (float(c) for c in bbox_px)
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
        raise ValueError(f"pixel box {list(bbox_px)} is empty or outside a {width}x{height} image")
    return (_down(x1 / width), _down(y1 / height), _up(x2 / width), _up(y2 / height))


def _down(fraction: float) -> float:
    return math.floor(fraction * 100 + 1e-9) / 100


def _up(fraction: float) -> float:
    return math.ceil(fraction * 100 - 1e-9) / 100


def box_text(box: Box) -> str:
    """Normalised box → ``"[0.41, 0.52, 0.49, 0.61]"``."""
    return "[" + ", ".join(f"{c:.2f}" for c in box) + "]"


def format_box(bbox_px, width: int, height: int) -> str:
    """Pixel box of a ``width`` × ``height`` image → its text in the fixed syntax."""
    return box_text(normalise_box(bbox_px, width, height))


def box_to_pixels(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    """Normalised box → pixel box ``[x1, y1, x2, y2]`` (floats; x2, y2 exclusive)."""
    x1, y1, x2, y2 = box
    return (x1 * width, y1 * height, x2 * width, y2 * height)


def check_box(box: Box) -> Box:
    """Return ``box`` if it is a valid normalised box, else raise ``ValueError`` naming it."""
    x1, y1, x2, y2 = box
    if not (0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0):
        raise ValueError(f"box {box_text(box)} is not a normalised box: need 0 <= x1 < x2 <= 1 "
                         f"and 0 <= y1 < y2 <= 1")
    return box


def _phrase_before(text: str) -> str:
    """The object phrase at the end of ``text`` (see the module docstring)."""
    tail = _PHRASE_BREAK.split(text)[-1]
    words = _WORD.findall(tail)
    for i in range(len(words) - 1, -1, -1):
        if words[i].lower() in STOPWORDS:
            words = words[i + 1:]
            break
    return " ".join(words[-MAX_PHRASE_WORDS:])


def parse_boxes(text: str, strict: bool = False) -> list[tuple[str, Box]]:
    """Every box in ``text`` with the phrase before it: ``[("red cube", (0.41, 0.52, 0.49, 0.61)), ...]``.

    Lenient (default, for model answers): boxes whose numbers are out of range or inverted are
    skipped, and bracketed text that is not a box is ignored. ``strict=True`` (for teacher output)
    raises ``ValueError`` naming the first malformed box or bracketed number list instead.
    """
    if strict:
        for bracket in _BRACKETED_NUMBERS.finditer(text):
            if BOX_PATTERN.fullmatch(bracket.group(0)) is None:
                raise ValueError(f"malformed box {bracket.group(0)!r} at character {bracket.start()}: "
                                 f"expected [x1, y1, x2, y2] with four numbers in [0, 1]")
    found: list[tuple[str, Box]] = []
    start = 0
    for match in BOX_PATTERN.finditer(text):
        box = tuple(float(g) for g in match.groups())
        phrase = _phrase_before(text[start:match.start()])
        start = match.end()
        try:
            check_box(box)
        except ValueError:
            if strict:
                raise
            continue
        found.append((phrase, box))
    return found
