"""Patch–phrase targets for dense CLIP pretraining: which object phrase each image patch shows.

Scene-level CLIP on sim captions learns what tells scenes apart in a batch, mostly their colour sets; it
gets little pressure to encode shape or position, and LLaVA needs both (the shipped v1 model named shapes
at chance). The `clip_dense` stage adds a region–text contrastive term in the manner of RegionCLIP/GLIP:
every patch embedding is contrasted against the text tower's embeddings of all object phrases
(``PHRASES``: "red cube", ..., plus "table" for background), with the caption's own boxes saying which
phrase is right. The targets come from the same symbolic context the captions carry; nothing else.

A patch takes the phrase of the box containing its centre (smaller boxes win where boxes overlap, as the
nearer object usually covers the farther); a box that contains no patch centre marks the patch under its
own centre, so every visible object labels at least one patch.
"""
from __future__ import annotations

import torch

from llava_ros.boxes import parse_boxes
from llava_ros.eval.answers import first_colour, first_shape
from sim.catalogue import COLOURS, SHAPES

BACKGROUND = "table"
PHRASES: tuple[str, ...] = (BACKGROUND,) + tuple(f"{c} {s}" for c in COLOURS for s in SHAPES)
PHRASE_INDEX = {p: i for i, p in enumerate(PHRASES)}


def phrase_class_weights(background_weight: float) -> torch.Tensor:
    """Cross-entropy class weights over ``PHRASES``: 1 for every object phrase, ``background_weight`` for the table."""
    weights = torch.ones(len(PHRASES))
    weights[PHRASE_INDEX[BACKGROUND]] = background_weight
    return weights


def phrase_of(text: str) -> str | None:
    """"large red cube" → "red cube"; None when the text names no catalogue colour and shape."""
    colour, shape = first_colour(text), first_shape(text)
    return f"{colour} {shape}" if colour and shape else None


def patch_targets(caption: str, grid: int) -> torch.Tensor:
    """(grid * grid,) long phrase indices, row-major over the patch grid of a square image."""
    targets = torch.zeros(grid, grid, dtype=torch.long)
    boxes = [(PHRASE_INDEX[p], box) for label, box in parse_boxes(caption) if (p := phrase_of(label))]
    boxes.sort(key=lambda item: (item[1][2] - item[1][0]) * (item[1][3] - item[1][1]), reverse=True)
    centres = (torch.arange(grid) + 0.5) / grid
    for index, (x1, y1, x2, y2) in boxes:
        rows = ((centres >= y1) & (centres < y2)).nonzero().flatten()
        cols = ((centres >= x1) & (centres < x2)).nonzero().flatten()
        if len(rows) and len(cols):
            targets[rows[:, None], cols[None, :]] = index
        else:
            row = min(int((y1 + y2) / 2 * grid), grid - 1)
            col = min(int((x1 + x2) / 2 * grid), grid - 1)
            targets[row, col] = index
    return targets.flatten()
