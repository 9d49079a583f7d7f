"""Pre-processing every local engine shares: instruction → template → token ids, image → pixels, length check.

The torch, onnx and tensorrt engines differ only in what computes the network (`decoding.Backend`);
the prompt string, the token ids, the image preprocessing and the context check live here once,
so all engines see byte-identical inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from llava_ros.engine.base import GenerationSettings, check_image, check_prompt
from llava_ros.model import ImageProcessor, LlavaConfig, build_prompt, get_template, tokenizer_image_token


@dataclass
class PreparedRequest:
    """One request ready for a backend: token ids (the image token marks where features go) + pixels."""
    ids: list[int]
    pixels: torch.Tensor | None  # (1, 3, S, S) float32, or None for a text-only request
    length: int  # tokens after splicing (image token → num_image_tokens features)


class Preprocessor:
    def __init__(self, config: LlavaConfig, tokenizer: PreTrainedTokenizerBase, max_context: int | None = None):
        self.config = config
        self.tokenizer = tokenizer
        self.image_processor = ImageProcessor(config.vision)
        self.stop_str = get_template(config.template).stop_str
        self.num_image_tokens = config.vision.num_image_tokens
        self.max_context = max_context or config.text.max_position_embeddings

    @property
    def stop_strings(self) -> tuple[str, ...]:
        return (self.stop_str,) if self.stop_str else ()

    def prompt_ids(self, prompt: str, with_image: bool) -> list[int]:
        text = build_prompt(check_prompt(prompt), self.config.template,
                            self.config.image_token if with_image else None)
        return tokenizer_image_token(text, self.tokenizer, self.config.image_token_id, self.config.image_token)

    def prepare(self, image: np.ndarray | None, prompt: str, settings: GenerationSettings) -> PreparedRequest:
        """Validated, tokenised request, or a ValueError naming the problem (bad image, empty or long prompt)."""
        ids = self.prompt_ids(prompt, image is not None)
        pixels = self.image_processor(check_image(image)) if image is not None else None
        n_image = self.num_image_tokens if image is not None else 0
        length = len(ids) - (1 if image is not None else 0) + n_image
        if length + settings.max_new_tokens > self.max_context:
            raise ValueError(f"prompt is {length} tokens (with {n_image} image tokens); with max_new_tokens="
                             f"{settings.max_new_tokens} it exceeds the model's context of {self.max_context}")
        return PreparedRequest(ids, pixels, length)
