"""Pad a list of samples into a batch (right padding, as LLaVA's ``DataCollatorForSupervisedDataset``).

``input_ids`` pad with the tokenizer's pad id, ``labels`` with IGNORE_INDEX, ``attention_mask``
marks real tokens; ``pixel_values`` of the samples that have an image are stacked in sample order
(the order :class:`llava_ros.model.LlavaModel` consumes them), or None when no sample has one;
``patch_targets`` (dense CLIP) are stacked; ``negatives`` (:mod:`training.train.box_negatives`) become
one (M, 3) tensor of ``(sample, position, token)``; ``after_box`` positions (:mod:`training.train.after_box`)
one (K, 2) tensor of ``(sample, position)``.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import torch

from llava_ros.model import IGNORE_INDEX


def pad_collate(samples: list[dict], pad_id: int) -> dict[str, torch.Tensor | None]:
    if not samples:
        raise ValueError("cannot collate an empty batch")
    width = max(s["input_ids"].shape[0] for s in samples)
    batch = len(samples)
    input_ids = torch.full((batch, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((batch, width), dtype=torch.long)
    has_labels = "labels" in samples[0]
    labels = torch.full((batch, width), IGNORE_INDEX, dtype=torch.long) if has_labels else None
    for i, sample in enumerate(samples):
        n = sample["input_ids"].shape[0]
        input_ids[i, :n] = sample["input_ids"]
        attention_mask[i, :n] = 1
        if has_labels:
            labels[i, :n] = sample["labels"]
    images = [s["pixel_values"] for s in samples if s.get("pixel_values") is not None]
    out = {"input_ids": input_ids, "attention_mask": attention_mask,
           "pixel_values": torch.stack(images) if images else None}
    if has_labels:
        out["labels"] = labels
    if "negatives" in samples[0]:
        out["negatives"] = torch.cat([torch.cat([torch.full((len(s["negatives"]), 1), i), s["negatives"]], dim=1)
                                      for i, s in enumerate(samples)])
    if "after_box" in samples[0]:
        out["after_box"] = torch.cat([torch.stack([torch.full_like(s["after_box"], i), s["after_box"]], dim=1)
                                      for i, s in enumerate(samples)])
    if "patch_targets" in samples[0]:
        out["patch_targets"] = torch.stack([s["patch_targets"] for s in samples])
    return out


def make_collate(pad_id: int | None) -> Callable[[list[dict]], dict]:
    if pad_id is None:
        raise ValueError("the tokenizer has no pad token; batches cannot be padded")
    return partial(pad_collate, pad_id=pad_id)
