"""Text generation for one prompt (+ images) with a KV cache.

Prefill runs the LLM once on the spliced `inputs_embeds` (text + image
features) and keeps `past_key_values`; each decode step feeds only the new
token. `use_cache=False` recomputes the whole sequence every step (slow; it
exists so tests can prove the cache changes nothing).

Greedy when `temperature == 0`, else temperature + nucleus (top-p) sampling.
Stops at EOS, at any stop string (the text is cut before it; LLaVA's
`KeywordsStoppingCriteria` does the same with `conv.sep2`), or after
`max_new_tokens`. `on_text` receives the answer incrementally; text that might
be the start of a stop string is held back until it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from transformers import PreTrainedTokenizerBase

from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS
from .llava import LlavaModel


@dataclass
class GenerationConfig:
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    stop_strings: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        self.stop_strings = tuple(s for s in self.stop_strings if s)


@dataclass
class GenerationResult:
    text: str
    token_ids: list[int] = field(default_factory=list)
    stop_reason: str = "max_new_tokens"  # "eos" | "stop_string" | "max_new_tokens"


def sample_next(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None) -> int:
    """Next token id from (vocab,) logits."""
    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        # keep the smallest prefix whose mass reaches top_p (always at least one token)
        drop = torch.cumsum(sorted_probs, dim=-1) - sorted_probs >= top_p
        sorted_probs[drop] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))


def _held_back(text: str, stop_strings: tuple[str, ...]) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of some stop string."""
    longest = 0
    for stop in stop_strings:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


@torch.no_grad()
def generate(
    model: LlavaModel,
    tokenizer: PreTrainedTokenizerBase,
    input_ids: torch.Tensor | list[int],
    pixel_values: torch.Tensor | None = None,
    config: GenerationConfig | None = None,
    on_text: Callable[[str], None] | None = None,
    use_cache: bool = True,
) -> GenerationResult:
    """Generate a continuation of one prompt; `input_ids` is (T,) or (1, T)."""
    config = config or GenerationConfig()
    ids = torch.as_tensor(input_ids, dtype=torch.long, device=model.device)
    if ids.ndim == 1:
        ids = ids[None]
    if ids.ndim != 2 or ids.shape[0] != 1:
        raise ValueError(f"generate takes one prompt, input_ids shape {tuple(ids.shape)}")
    if pixel_values is not None:
        pixel_values = pixel_values.to(model.device)
    generator = None
    if config.seed is not None:
        generator = torch.Generator(device=model.device).manual_seed(config.seed)

    prefix = model.splice(ids, pixel_values).inputs_embeds  # (1, T, D)
    embed = model.llm.get_input_embeddings()
    out = model.llm(inputs_embeds=prefix, use_cache=use_cache)
    past = out.past_key_values if use_cache else None
    logits = out.logits[0, -1]

    tokens: list[int] = []
    emitted = 0
    result = GenerationResult(text="")
    for _ in range(config.max_new_tokens):
        token = sample_next(logits, config.temperature, config.top_p, generator)
        if token == tokenizer.eos_token_id:
            result.stop_reason = "eos"
            break
        tokens.append(token)
        text = tokenizer.decode(tokens, skip_special_tokens=True)
        hits = [text.find(s) for s in config.stop_strings if s in text]
        if hits:
            text = text[: min(hits)]
            result.stop_reason = "stop_string"
            break
        safe = len(text) - _held_back(text, config.stop_strings)
        if text.endswith("\ufffd"):  # incomplete UTF-8 sequence; wait for the next token
            safe = min(safe, len(text) - 1)
        if on_text is not None and safe > emitted:
            on_text(text[emitted:safe])
            emitted = safe
        step = torch.tensor([[token]], device=model.device)
        if use_cache:
            out = model.llm(input_ids=step, past_key_values=past, use_cache=True)
            past = out.past_key_values
        else:
            prefix = torch.cat([prefix, embed(step)], dim=1)
            out = model.llm(inputs_embeds=prefix, use_cache=False)
        logits = out.logits[0, -1]
    if result.stop_reason != "stop_string":
        text = tokenizer.decode(tokens, skip_special_tokens=True)
    if on_text is not None and len(text) > emitted:
        on_text(text[emitted:])
    result.text, result.token_ids = text, tokens
    return result
