"""CLIP vision tower that returns the hidden layer LLaVA reads.

Mirrors haotian-liu/LLaVA `llava/model/multimodal_encoder/clip_encoder.py`
(`CLIPVisionTower.feature_select`): take `hidden_states[select_layer]`
(default -2, the penultimate layer; the paper's ablation found it better than
the last) and drop the CLS token for `select_feature="patch"`.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import CLIPVisionModel

from .config import VisionConfig


class VisionTower(nn.Module):
    def __init__(self, config: VisionConfig, clip: CLIPVisionModel | None = None):
        super().__init__()
        self.config = config
        self.clip = clip if clip is not None else CLIPVisionModel(config.to_hf())

    @classmethod
    def from_config(cls, config: VisionConfig) -> VisionTower:
        """Random init from the config, or load `config.pretrained_path` (a local HF CLIP folder)."""
        if config.pretrained_path is None:
            return cls(config)
        clip = CLIPVisionModel.from_pretrained(config.pretrained_path, local_files_only=True)
        overrides = {k: getattr(config, k) for k in (
            "select_layer", "select_feature", "image_aspect", "image_mean", "image_std", "pretrained_path")}
        return cls(VisionConfig.from_hf(clip.config, **overrides), clip)

    @property
    def hidden_size(self) -> int:
        return self.config.hidden_size

    @property
    def num_image_tokens(self) -> int:
        return self.config.num_image_tokens

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(num_images, 3, H, W) → (num_images, num_image_tokens, hidden_size)."""
        if pixel_values.ndim != 4 or pixel_values.shape[1] != 3:
            raise ValueError(f"pixel_values must be (num_images, 3, H, W), got {tuple(pixel_values.shape)}")
        dtype = self.clip.embeddings.patch_embedding.weight.dtype
        out = self.clip(pixel_values.to(dtype), output_hidden_states=True)
        features = out.hidden_states[self.config.select_layer]
        if self.config.select_feature == "patch":
            features = features[:, 1:]
        return features
