"""The engine interface: an image (or none) + an instruction → an answer, with settings and streaming."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS

MAX_PROMPT_CHARS = 4000


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_new_tokens <= 4096:
            raise ValueError(f"max_new_tokens must be in [1, 4096], got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


@dataclass
class EngineResult:
    text: str
    token_ids: list[int] = field(default_factory=list)
    stop_reason: str = "max_new_tokens"  # "eos" | "stop_string" | "max_new_tokens"
    latency_s: float = 0.0
    prompt_tokens: int = 0
    # seconds per phase for engines that measure them: vision_s, prefill_s, decode_s, decode_steps
    timings: dict[str, float] = field(default_factory=dict)


def check_prompt(prompt: str, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """The prompt, stripped, or a ValueError naming what is wrong with it."""
    if not isinstance(prompt, str):
        raise ValueError(f"prompt must be a string, got {type(prompt).__name__}")
    text = prompt.strip()
    if not text:
        raise ValueError("prompt is empty")
    if len(text) > max_chars:
        raise ValueError(f"prompt is {len(text)} characters long; the limit is {max_chars}")
    return text


def check_image(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array, or a ValueError naming what is wrong with it."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 RGB, got dtype {image.dtype}")
    if min(image.shape[:2]) < 8:
        raise ValueError(f"image {image.shape[1]}x{image.shape[0]} is too small (min 8x8)")
    return image


class Engine(abc.ABC):
    """Answers instructions about images. Implementations register with ``@register_engine``."""

    name: str
    model_id: str

    @abc.abstractmethod
    def answer(self, image: np.ndarray | None, prompt: str, settings: GenerationSettings | None = None,
               on_text: Callable[[str], None] | None = None) -> EngineResult:
        """Answer ``prompt`` about ``image`` (H, W, 3 uint8 RGB); ``on_text`` streams the answer."""

    def answer_batch(self, images: list[np.ndarray | None], prompts: list[str],
                     settings: GenerationSettings | None = None) -> list[EngineResult]:
        """Answer several requests; engines with real batching override this."""
        if len(images) != len(prompts):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
        return [self.answer(img, p, settings) for img, p in zip(images, prompts)]
