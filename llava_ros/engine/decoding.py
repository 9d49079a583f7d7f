"""The decoding loop every local engine shares: splice, left-padded batched prefill, batched KV-cache decode.

A `Backend` computes the network (torch modules, onnxruntime sessions, TensorRT engines); this module
owns everything else, so all engines agree token for token:

1. vision: all images of the batch in one `encode_images` call → (N, num_image_tokens, D);
2. splice: each row's token embeddings with its image token replaced by its features
   (as `LlavaModel.splice`), then **left**-padded into (B, T, D) with a 0/1 attention mask and
   `position_ids = cumsum(mask) - 1`, so every row's last real token sits at column T-1 and
   padding changes neither positions nor attention;
3. prefill: one `forward` with an empty cache → last-position logits (B, vocab) + cache;
4. decode: each step feeds one token per row (finished rows feed EOS and are ignored), appends a
   1 to the mask, advances the positions. Greedy is a batched argmax; sampling is per row with
   `llava_ros.model.generate.sample_next` and a per-row generator (`seed + row`).

Stopping is per row and mirrors `llava_ros.model.generate`: EOS, a stop string (the text is cut before
it), or `max_new_tokens`; streamed text that could begin a stop string is held back until it cannot.
"""
from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from transformers import PreTrainedTokenizerBase

from llava_ros.engine.base import GenerationSettings
from llava_ros.engine.prompting import PreparedRequest
from llava_ros.model.generate import _held_back, sample_next


class Backend(abc.ABC):
    """What a local engine computes; tensors in and out are torch tensors on `device`."""

    device: torch.device = torch.device("cpu")

    @abc.abstractmethod
    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) float32 → (N, num_image_tokens, D) image features in the LLM's embedding space."""

    @abc.abstractmethod
    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, T) long → (B, T, D) token embeddings."""

    @abc.abstractmethod
    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                cache: Any) -> tuple[torch.Tensor, Any]:
        """One LLM call. `cache` is None for prefill (empty past) or what the previous call returned;
        `attention_mask` (B, past + T) covers past and new tokens. Returns last-position logits (B, vocab)."""

    def synchronize(self) -> None:
        """Wait for queued device work (timings); a no-op on CPU."""


@dataclass
class RowOutput:
    text: str = ""
    token_ids: list[int] = field(default_factory=list)
    stop_reason: str = "max_new_tokens"  # "eos" | "stop_string" | "max_new_tokens"


class RowDecoder:
    """Stop handling and streaming for one row, token by token (the rules of `model.generate`)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, stop_strings: tuple[str, ...],
                 on_text: Callable[[str], None] | None = None):
        self.tokenizer, self.stop_strings, self.on_text = tokenizer, stop_strings, on_text
        self.out = RowOutput()
        self.done = False
        self._emitted = 0

    def push(self, token: int) -> bool:
        """Take the next sampled token; True when this row has finished."""
        if token == self.tokenizer.eos_token_id:
            self.out.stop_reason, self.done = "eos", True
            return True
        self.out.token_ids.append(token)
        text = self.tokenizer.decode(self.out.token_ids, skip_special_tokens=True)
        hits = [text.find(s) for s in self.stop_strings if s in text]
        if hits:
            self.out.text, self.out.stop_reason, self.done = text[: min(hits)], "stop_string", True
            return True
        safe = len(text) - _held_back(text, self.stop_strings)
        if text.endswith("\ufffd"):  # incomplete UTF-8 sequence; wait for the next token
            safe = min(safe, len(text) - 1)
        if self.on_text is not None and safe > self._emitted:
            self.on_text(text[self._emitted:safe])
            self._emitted = safe
        return False

    def finish(self) -> RowOutput:
        if self.out.stop_reason != "stop_string":
            self.out.text = self.tokenizer.decode(self.out.token_ids, skip_special_tokens=True)
        if self.on_text is not None and len(self.out.text) > self._emitted:
            self.on_text(self.out.text[self._emitted:])
        return self.out


def splice_left_padded(backend: Backend, requests: Sequence[PreparedRequest], image_token_id: int,
                       features: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-padded (B, T, D) embeddings, (B, T) long mask and (B, T) long positions for prefill."""
    rows, image_index = [], 0
    for req in requests:
        ids = torch.tensor(req.ids, dtype=torch.long, device=backend.device)
        is_image = ids == image_token_id
        emb = backend.embed(ids.masked_fill(is_image, 0)[None])[0]
        pieces, start = [], 0
        for pos in is_image.nonzero().flatten().tolist():
            pieces += [emb[start:pos], features[image_index].to(emb.dtype)]
            image_index += 1
            start = pos + 1
        pieces.append(emb[start:])
        rows.append(torch.cat(pieces) if len(pieces) > 1 else emb)
    width = max(r.shape[0] for r in rows)
    embeds = rows[0].new_zeros((len(rows), width, rows[0].shape[-1]))
    mask = torch.zeros((len(rows), width), dtype=torch.long, device=backend.device)
    for b, row in enumerate(rows):
        embeds[b, width - row.shape[0]:] = row
        mask[b, width - row.shape[0]:] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return embeds, mask, positions


def _timed(backend: Backend, fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    backend.synchronize()
    return out, time.perf_counter() - start


def decode_batch(backend: Backend, requests: Sequence[PreparedRequest], settings: GenerationSettings,
                 tokenizer: PreTrainedTokenizerBase, stop_strings: tuple[str, ...], image_token_id: int,
                 on_text: Sequence[Callable[[str], None] | None] | None = None
                 ) -> tuple[list[RowOutput], dict[str, float]]:
    """Generate for every request at once; returns one `RowOutput` per request and phase timings (s)."""
    if not requests:
        return [], {}
    on_text = list(on_text) if on_text is not None else [None] * len(requests)
    rows = [RowDecoder(tokenizer, stop_strings, cb) for cb in on_text]
    timings = {"vision_s": 0.0, "prefill_s": 0.0, "decode_s": 0.0, "decode_steps": 0}

    pixels = [r.pixels for r in requests if r.pixels is not None]
    features = None
    if pixels:
        features, timings["vision_s"] = _timed(
            backend, lambda: backend.encode_images(torch.cat(pixels).to(backend.device)))
    embeds, mask, positions = splice_left_padded(backend, requests, image_token_id, features)
    (logits, cache), timings["prefill_s"] = _timed(backend, lambda: backend.forward(embeds, mask, positions, None))

    generators = None
    if settings.temperature > 0 and settings.seed is not None:
        generators = [torch.Generator(device=logits.device).manual_seed(settings.seed + i)
                      for i in range(len(rows))]
    pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    next_pos = positions[:, -1:] + 1
    start = time.perf_counter()
    for step in range(settings.max_new_tokens):
        if settings.temperature == 0:
            tokens = logits.argmax(-1).tolist()
        else:
            tokens = [sample_next(logits[b], settings.temperature, settings.top_p,
                                  generators[b] if generators else None) for b in range(len(rows))]
        for b, row in enumerate(rows):
            if not row.done:
                row.push(tokens[b])
        if all(row.done for row in rows) or step == settings.max_new_tokens - 1:
            break
        feed = torch.tensor([[t if not row.done else pad] for t, row in zip(tokens, rows)],
                            dtype=torch.long, device=backend.device)
        mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
        logits, cache = backend.forward(backend.embed(feed), mask, next_pos, cache)
        next_pos = next_pos + 1
        timings["decode_steps"] += 1
    backend.synchronize()
    timings["decode_s"] = time.perf_counter() - start
    return [row.finish() for row in rows], timings
