"""The PyTorch engine: a llava_ros checkpoint folder run with its own generation loop (KV cache)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from llava_ros.engine import register_engine
from llava_ros.engine.base import Engine, EngineResult, GenerationSettings, check_image, check_prompt
from llava_ros.model import (GenerationConfig, ImageProcessor, build_prompt, generate, get_template,
                             load_pretrained, tokenizer_image_token)


@register_engine("torch")
class TorchEngine(Engine):
    def __init__(self, model_path: str | Path, device: str = "cpu", dtype: str = "float32",
                 max_context: int | None = None):
        self.model_id = str(model_path)
        self.device = torch.device(device)
        self.model, self.tokenizer = load_pretrained(model_path, dtype=getattr(torch, dtype))
        self.model.to(self.device).eval()
        self.config = self.model.config
        self.processor = ImageProcessor(self.config.vision)
        self.stop_str = get_template(self.config.template).stop_str
        self.max_context = max_context or self.model.llm.config.max_position_embeddings

    def prompt_ids(self, prompt: str, with_image: bool) -> list[int]:
        text = build_prompt(check_prompt(prompt), self.config.template,
                            self.config.image_token if with_image else None)
        ids = tokenizer_image_token(text, self.tokenizer, self.config.image_token_id, self.config.image_token)
        return ids

    @torch.inference_mode()
    def answer(self, image: np.ndarray | None, prompt: str, settings: GenerationSettings | None = None,
               on_text: Callable[[str], None] | None = None) -> EngineResult:
        settings = settings or GenerationSettings()
        start = time.perf_counter()
        ids = self.prompt_ids(prompt, image is not None)
        pixels = self.processor(check_image(image)) if image is not None else None
        n_image = self.model.num_image_tokens if image is not None else 0
        length = len(ids) - (1 if image is not None else 0) + n_image
        if length + settings.max_new_tokens > self.max_context:
            raise ValueError(f"prompt is {length} tokens (with {n_image} image tokens); with max_new_tokens="
                             f"{settings.max_new_tokens} it exceeds the model's context of {self.max_context}")
        out = generate(self.model, self.tokenizer, ids, pixels,
                       GenerationConfig(max_new_tokens=settings.max_new_tokens, temperature=settings.temperature,
                                        top_p=settings.top_p, stop_strings=(self.stop_str,) if self.stop_str else (),
                                        seed=settings.seed),
                       on_text=on_text)
        return EngineResult(text=out.text.strip(), token_ids=out.token_ids, stop_reason=out.stop_reason,
                            latency_s=time.perf_counter() - start, prompt_tokens=length)
