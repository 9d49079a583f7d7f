"""Unlikelihood of copying an earlier box: the tokens a grounded answer must not repeat, and their loss.

A small model that lists objects ("the blue cone [0.47, 0.50, 0.55, 0.59], the red cube [...]") often
writes the previous entry's box again instead of the next object's. Teacher-forced, the copy's first
token beats the true one at about 3% of the places where it could (v29, on training and held-out scenes
alike), and a listing of five objects has a dozen such places.

For every box of an assistant turn and every *different* box earlier in the same turn,
:func:`box_negatives` swaps the earlier box in, tokenises the conversation again and keeps the first
position where the two token sequences part: ``(position, copied token)``. Up to that position the
prefixes are equal, so the prediction made there in the ordinary forward pass is the one to push away
from the copy. :func:`unlikelihood_loss` is Welleck et al.'s token-level unlikelihood,
``-log(1 - p(copied token))``, averaged over those positions.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from llava_ros.boxes import BOX_PATTERN
from llava_ros.model import IGNORE_INDEX

Turns = Sequence[dict]


def box_negatives(turns: Turns, encode: Callable[[Turns], torch.Tensor], input_ids: torch.Tensor,
                  labels: torch.Tensor) -> torch.Tensor:
    """(N, 2) long tensor of ``(position, token)``: at ``position`` of ``input_ids`` (the caller's
    ``encode(turns)``, possibly truncated, whose loss ``labels`` are not ignored there) the answer would
    be copying an earlier box if it wrote ``token``."""
    found: set[tuple[int, int]] = set()
    for t, turn in enumerate(turns):
        if turn["from"] != "gpt":
            continue
        text = turn["value"]
        boxes = list(BOX_PATTERN.finditer(text))
        for i, box in enumerate(boxes):
            for earlier in {b.group() for b in boxes[:i]} - {box.group()}:
                swapped = text[: box.start()] + earlier + text[box.end():]
                other = encode([*turns[:t], {**turn, "value": swapped}, *turns[t + 1:]])
                position = _first_difference(input_ids, other)
                if position is not None and position < len(labels) and labels[position] != IGNORE_INDEX:
                    found.add((position, int(other[position])))
    return torch.tensor(sorted(found), dtype=torch.long).reshape(-1, 2)


def _first_difference(a: torch.Tensor, b: torch.Tensor) -> int | None:
    n = min(len(a), len(b))
    differ = (a[:n] != b[:n]).nonzero()
    return int(differ[0]) if len(differ) else None


def spliced_positions(input_ids: torch.Tensor, rows: torch.Tensor, positions: torch.Tensor, image_token_id: int,
                      num_image_tokens: int) -> torch.Tensor:
    """Positions of ``input_ids`` (B, T) → positions in the spliced sequence, where each image token
    became ``num_image_tokens`` features (as :meth:`llava_ros.model.LlavaModel.splice` lays rows out)."""
    images_before = torch.cumsum(input_ids == image_token_id, dim=1)[rows, positions]
    return positions + images_before * (num_image_tokens - 1)


def unlikelihood_loss(logits: torch.Tensor, rows: torch.Tensor, positions: torch.Tensor,
                      tokens: torch.Tensor) -> torch.Tensor:
    """Mean ``-log(1 - p(token))`` of the predictions for ``positions`` of ``rows`` (spliced positions; the
    prediction for position k is made at k - 1); 0 when there are none."""
    if len(rows) == 0:
        return logits.new_zeros(())
    probs = torch.softmax(logits[rows, positions - 1].float(), dim=-1)
    copied = probs.gather(1, tokens[:, None]).squeeze(1)
    return -torch.log1p(-copied.clamp(max=1 - 1e-6)).mean()
