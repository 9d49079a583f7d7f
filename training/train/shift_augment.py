"""Translation augmentation for stage 2: an image moves by a few hundredths of its size, its boxes with it.

A training sample's image is moved ``dx`` hundredths of its width right and ``dy`` hundredths of its height
down (negative: left, up); the strip it uncovers repeats the edge pixels (the table or the floor continues). Every
``[x1, y1, x2, y2]`` box in the record's turns, questions included, moves by the same hundredths, so the text
stays true of the picture it goes with. An object's pixels then fall on other patches of the vision tower's
grid than in the render the record was written for: the LLM meets each training scene at several sub-patch
alignments instead of one, and cannot learn an answer from the exact pixels of a scene it has seen.

- The move is in whole pixels, the nearest to ``dx`` hundredths (a 336-pixel render moves 3, 7 or 10 pixels for 1, 2
  or 3 hundredths); the text moves by exactly ``dx`` hundredths, a difference under a quarter of a pixel of the
  224-pixel input.
- A move is shortened so that no box in the record leaves the image: an object is never cut by the frame.
- Words that depend on where an object is in the frame stay as written. Relations between objects,
  sizes and nearness do not change when everything moves together; "on the left side" of the image (thirds
  in one conversation phrasing) can be off for an object within 0.03 of a third's border.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from llava_ros.boxes import BOX_PATTERN, box_text

MAX_SHIFT = 10  # hundredths: a bound on the setting (a move of 0.1 already uncovers a 34-pixel strip of a 336 render)


@dataclass(frozen=True)
class Shift:
    """A move of ``dx`` hundredths of the width (+: right) and ``dy`` of the height (+: down)."""

    dx: int = 0
    dy: int = 0

    def __bool__(self) -> bool:
        return bool(self.dx or self.dy)


def record_boxes(turns: list[dict]) -> list[tuple[float, float, float, float]]:
    """Every box written in the turns' values."""
    return [tuple(float(c) for c in m.groups()) for t in turns for m in BOX_PATTERN.finditer(t["value"])]


def fit_shift(shift: Shift, boxes: list[tuple[float, float, float, float]]) -> Shift:
    """``shift`` shortened on each axis so that every box stays inside [0, 1] (at most back to no move)."""
    def clamp(d: int, lows: list[float], highs: list[float]) -> int:
        if not lows:
            return d
        room_back = int(np.floor(min(lows) * 100 + 1e-6))  # hundredths free before the first box
        room_ahead = int(np.floor((1 - max(highs)) * 100 + 1e-6))  # and after the last one
        return max(-max(room_back, 0), min(d, max(room_ahead, 0)))
    return Shift(clamp(shift.dx, [b[0] for b in boxes], [b[2] for b in boxes]),
                 clamp(shift.dy, [b[1] for b in boxes], [b[3] for b in boxes]))


def draw_shift(max_hundredths: int, generator: torch.Generator | None = None) -> Shift:
    """A move drawn uniformly from [-max, max]² hundredths (torch's RNG, so ``run.seed`` fixes it)."""
    if not 0 <= max_hundredths <= MAX_SHIFT:
        raise ValueError(f"shift must be within 0..{MAX_SHIFT} hundredths, got {max_hundredths}")
    dx, dy = torch.randint(-max_hundredths, max_hundredths + 1, (2,), generator=generator).tolist()
    return Shift(dx, dy)


def shift_image(image: Image.Image, shift: Shift) -> Image.Image:
    """``image`` moved by ``shift`` (whole pixels), the uncovered strip filled with the edge pixels."""
    if not shift:
        return image
    pixels = np.asarray(image)
    h, w = pixels.shape[:2]
    px, py = round(shift.dx * w / 100), round(shift.dy * h / 100)
    pad = [(max(py, 0), max(-py, 0)), (max(px, 0), max(-px, 0))] + [(0, 0)] * (pixels.ndim - 2)
    padded = np.pad(pixels, pad, mode="edge")
    top, left = max(-py, 0), max(-px, 0)
    return Image.fromarray(padded[top:top + h, left:left + w])


def shift_text(text: str, shift: Shift) -> str:
    """Every box in ``text`` moved by ``shift`` hundredths, written back in the two-decimal syntax."""
    if not shift:
        return text
    def moved(match) -> str:
        x1, y1, x2, y2 = (float(c) for c in match.groups())
        step = (shift.dx / 100, shift.dy / 100)
        box = (x1 + step[0], y1 + step[1], x2 + step[0], y2 + step[1])
        return box_text(tuple(min(max(round(c, 2), 0.0), 1.0) for c in box))
    return BOX_PATTERN.sub(moved, text)


def shift_turns(turns: list[dict], shift: Shift) -> list[dict]:
    """The record's turns with every box moved by ``shift``."""
    return [{**t, "value": shift_text(t["value"], shift)} for t in turns]
