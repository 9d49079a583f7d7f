"""Supervised patch–phrase tuning of a LLaVA checkpoint's vision tower (stage ``tower_phrases``).

The tower that the `clip_dense` stage pretrains reads colour from its patches but not shape: on v10 to
v19, a linear probe of the features the projector receives names an object's colour 100% of the time and
its shape 71% (``training.probe_tower``), and the model answers shape questions about as well as that. Training
the tower on the answers' own loss (``stage2_vision``) did not move the probe.

This stage gives the tower the signal directly. A linear head over the tower's selected hidden layer
(exactly the features the projector reads) classifies every patch as one of ``PHRASES`` ("table",
"red cube", ...), with the caption's boxes saying which (``patch_phrases.patch_targets``) and a low
class weight for the ~95% of patches that show the table. Only the tower and the head train; the saved
model is the ``model.init_from`` checkpoint with its tower replaced, and the head is dropped.

Unanchored, the tower learns shape but its features become new ones altogether (from v19,
2,000 steps left a cosine of 0.22 to the old features and 2.5 times their norm), and the LLM that read
the old ones answers gibberish. ``anchor_weight`` keeps them near a frozen copy of the starting tower:
it adds that weight times the squared distance to the copy's features, relative to their squared norm.
The projector and the LLM then need a stage-2 pass to read what changed, not to learn the tower anew.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from llava_ros.model.vision import VisionTower
from training.train.patch_phrases import PHRASES, phrase_class_weights


class TowerPhrases(nn.Module):
    """A LLaVA vision tower plus a linear patch–phrase head; ``forward`` returns the weighted cross-entropy."""

    def __init__(self, vision: VisionTower, background_weight: float = 1.0, anchor_weight: float = 0.0):
        super().__init__()
        grid = int(vision.num_image_tokens ** 0.5)
        if grid * grid != vision.num_image_tokens:
            raise ValueError(f"patch–phrase targets need a square patch grid and one token per patch; the tower gives "
                             f"{vision.num_image_tokens} tokens (select_feature={vision.config.select_feature!r})")
        if background_weight <= 0:
            raise ValueError(f"background_weight must be > 0, got {background_weight}")
        if anchor_weight < 0:
            raise ValueError(f"anchor_weight must be >= 0, got {anchor_weight}")
        self.vision, self.grid, self.anchor_weight = vision, grid, anchor_weight
        # the starting tower, frozen (the stage trains only vision.* and head.*)
        self.reference = copy.deepcopy(vision).requires_grad_(False).eval() if anchor_weight else None
        self.head = nn.Linear(vision.hidden_size, len(PHRASES))
        self.register_buffer("class_weights", phrase_class_weights(background_weight), persistent=False)

    def train(self, mode: bool = True) -> TowerPhrases:
        super().train(mode)
        if self.reference is not None:
            self.reference.eval()  # the anchor stays the starting tower's inference features
        return self

    def logits(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) → (B, patches, len(PHRASES))."""
        return self.head(self.vision(pixel_values))

    def anchor(self, pixel_values: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Squared distance of the features to the frozen starting tower's, over the latter's squared norm."""
        with torch.no_grad():
            reference = self.reference(pixel_values)
        return (features - reference).pow(2).sum() / reference.pow(2).sum()

    def forward(self, pixel_values: torch.Tensor, patch_targets: torch.Tensor) -> torch.Tensor:
        features = self.vision(pixel_values)
        logits = self.head(features)
        if patch_targets.shape != logits.shape[:2]:
            raise ValueError(f"patch_targets {tuple(patch_targets.shape)} do not match the tower's "
                             f"{tuple(logits.shape[:2])} (images, patches)")
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), patch_targets.flatten(), weight=self.class_weights)
        if self.reference is not None:
            loss = loss + self.anchor_weight * self.anchor(pixel_values, features)
        return loss
