"""`LocalEngine`: an `Engine` made of the shared `Preprocessor` + decoding loop and one `Backend`.

Subclasses (torch, onnx, tensorrt) only build `self.pre` and `self.backend`; answering, batching,
streaming, validation and stop handling are the same code for all of them.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from llava_ros.engine.base import Engine, EngineResult, GenerationSettings
from llava_ros.engine.decoding import Backend, RowOutput, decode_batch
from llava_ros.engine.prompting import PreparedRequest, Preprocessor


class LocalEngine(Engine):
    pre: Preprocessor
    backend: Backend

    @property
    def tokenizer(self):
        return self.pre.tokenizer

    @property
    def stop_str(self) -> str:
        return self.pre.stop_str

    def prompt_ids(self, prompt: str, with_image: bool) -> list[int]:
        return self.pre.prompt_ids(prompt, with_image)

    def _result(self, out: RowOutput, req: PreparedRequest, start: float, timings: dict) -> EngineResult:
        return EngineResult(text=out.text.strip(), token_ids=out.token_ids, stop_reason=out.stop_reason,
                            latency_s=time.perf_counter() - start, prompt_tokens=req.length, timings=timings)

    @torch.inference_mode()
    def answer(self, image: np.ndarray | None, prompt: str, settings: GenerationSettings | None = None,
               on_text: Callable[[str], None] | None = None) -> EngineResult:
        settings = settings or GenerationSettings()
        start = time.perf_counter()
        req = self.pre.prepare(image, prompt, settings)
        [out], timings = decode_batch(self.backend, [req], settings, self.pre.tokenizer, self.pre.stop_strings,
                                      self.pre.config.image_token_id, [on_text])
        return self._result(out, req, start, timings)

    @torch.inference_mode()
    def answer_batch(self, images: list[np.ndarray | None], prompts: list[str],
                     settings: GenerationSettings | None = None) -> list[EngineResult]:
        """One left-padded prefill and one batched decode for all requests (greedy: same tokens as `answer`)."""
        if len(images) != len(prompts):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
        settings = settings or GenerationSettings()
        start = time.perf_counter()
        reqs = [self.pre.prepare(img, p, settings) for img, p in zip(images, prompts)]
        outs, timings = decode_batch(self.backend, reqs, settings, self.pre.tokenizer, self.pre.stop_strings,
                                     self.pre.config.image_token_id)
        return [self._result(out, req, start, timings) for out, req in zip(outs, reqs)]
