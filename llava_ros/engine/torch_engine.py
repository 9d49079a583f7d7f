"""The PyTorch engine: a llava_ros checkpoint folder run by the shared batched decoding loop (KV cache).

    engine = TorchEngine("models/llava-ros-sim")                            # CPU, float32
    engine = TorchEngine(DIR, device="cuda", dtype="bfloat16", attn="sdpa",
                         cache="static", compile=True)                      # GPU options

Options for CUDA (they also run on CPU, only slowly or pointlessly):
- `dtype`: float32 | bfloat16 | float16 (weights and activations);
- `attn`: the transformers attention implementation (`sdpa`, `eager`, ...);
- `cache="static"`: a transformers `StaticCache` sized for the request (prompt + max_new_tokens) instead of
  the growing `DynamicCache`; with `compile=True` the LLM forward is wrapped in `torch.compile`
  (mode "reduce-overhead" = CUDA graphs on GPU), which needs the static cache's fixed shapes to pay off.
Tests cover float32, `attn="sdpa"` and the static cache on CPU; bf16/fp16 and `compile` on CUDA were not
executed on this project's machines (no GPU).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import DynamicCache, StaticCache

from llava_ros.engine import register_engine
from llava_ros.engine.decoding import Backend
from llava_ros.engine.local import LocalEngine
from llava_ros.engine.prompting import Preprocessor
from llava_ros.model import LlavaModel, load_pretrained

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class TorchBackend(Backend):
    def __init__(self, model: LlavaModel, cache: str = "dynamic", compile: bool = False,
                 max_cache_len: int | None = None):
        if cache not in ("dynamic", "static"):
            raise ValueError(f"cache must be 'dynamic' or 'static', got {cache!r}")
        if compile and cache != "static":
            raise ValueError("compile=True needs cache='static' (fixed shapes); got cache='dynamic'")
        self.model = model
        self.device = model.device
        self.cache = cache
        self.max_cache_len = max_cache_len or model.llm.config.max_position_embeddings
        self._llm = torch.compile(model.llm, mode="reduce-overhead", dynamic=False) if compile else model.llm

    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.encode_images(pixel_values.to(self.device))

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.llm.get_input_embeddings()(input_ids.to(self.device))

    def new_cache(self) -> Any:
        if self.cache == "static":
            return StaticCache(config=self.model.llm.config, max_cache_len=self.max_cache_len)
        return DynamicCache(config=self.model.llm.config)

    def forward(self, inputs_embeds, attention_mask, position_ids, cache):
        cache = self.new_cache() if cache is None else cache
        out = self._llm(inputs_embeds=inputs_embeds, attention_mask=attention_mask, position_ids=position_ids,
                        past_key_values=cache, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1], out.past_key_values

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


@register_engine("torch")
class TorchEngine(LocalEngine):
    def __init__(self, model_path: str | Path, device: str = "cpu", dtype: str = "float32",
                 max_context: int | None = None, attn: str | None = None, cache: str = "dynamic",
                 compile: bool = False):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
        self.model_id = str(model_path)
        self.device = torch.device(device)
        self.model, tokenizer = load_pretrained(model_path, dtype=DTYPES[dtype])
        if attn is not None:
            self.model.llm.set_attn_implementation(attn)
            self.model.vision.clip.set_attn_implementation(attn)
        self.model.to(self.device).eval()
        self.config = self.model.config
        self.pre = Preprocessor(self.config, tokenizer, max_context or self.model.llm.config.max_position_embeddings)
        self.max_context = self.pre.max_context
        self.processor = self.pre.image_processor
        self.backend = TorchBackend(self.model, cache, compile, max_cache_len=self.max_context)
