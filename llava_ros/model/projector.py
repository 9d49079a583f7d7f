"""Vision→language projectors, chosen by name.

Mirrors haotian-liu/LLaVA `llava/model/multimodal_projector/builder.py`:
`linear` is the paper's projection W, `mlp{N}x_gelu` (LLaVA-1.5 uses
`mlp2x_gelu`) is Linear → (GELU → Linear) × (N-1) in an `nn.Sequential`, so the
parameter names (`0.weight`, `2.weight`, ...) match the original checkpoints'
`mm_projector.*` keys. `identity` passes features through unchanged.

`NAME+pos2d` (not in the paper) is projector NAME followed by a learned embedding per image-token
position, initialised to a 2-D sine-cosine table (as MAE's). The value an LLM attention head reads
from an image token carries no position of its own (RoPE moves only queries and keys), so without
this a model can say where an object is only if the vision features encode it; a small ViT trained
contrastively barely does (a linear probe recovers the patch column with R² 0.55 from our sim tower).
Grounded answers need the position, so ``+pos2d`` hands it over explicitly, as Kosmos-2 and Qwen-VL do.

New projectors register a full-match regex with `@register_projector(...)`;
the regex's groups, the feature sizes and the number of image tokens are passed to the builder.
"""

from __future__ import annotations

import math
import re
from typing import Callable

import torch
from torch import nn

ProjectorBuilder = Callable[[re.Match, int, int, "int | None"], nn.Module]
PROJECTORS: dict[str, tuple[re.Pattern, ProjectorBuilder]] = {}


def register_projector(pattern: str) -> Callable[[ProjectorBuilder], ProjectorBuilder]:
    def wrap(builder: ProjectorBuilder) -> ProjectorBuilder:
        PROJECTORS[pattern] = (re.compile(pattern), builder)
        return builder

    return wrap


@register_projector(r"linear")
def _linear(match: re.Match, in_features: int, out_features: int, num_tokens: int | None) -> nn.Module:
    return nn.Linear(in_features, out_features)


@register_projector(r"mlp(\d+)x_gelu")
def _mlp_gelu(match: re.Match, in_features: int, out_features: int, num_tokens: int | None) -> nn.Module:
    depth = int(match.group(1))
    if depth < 1:
        raise ValueError(f"mlp depth must be >= 1, got {match.group(0)!r}")
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    for _ in range(1, depth):
        layers += [nn.GELU(), nn.Linear(out_features, out_features)]
    return nn.Sequential(*layers)


@register_projector(r"identity")
def _identity(match: re.Match, in_features: int, out_features: int, num_tokens: int | None) -> nn.Module:
    if in_features != out_features:
        raise ValueError(f"identity projector needs equal sizes, got vision {in_features} vs text {out_features}")
    return nn.Identity()


def sincos_2d(grid: int, dim: int) -> torch.Tensor:
    """(grid², dim) 2-D sine-cosine position table, row-major: the first half of each row encodes the
    patch row, the second half its column (MAE's `get_2d_sincos_pos_embed`)."""
    if dim % 4:
        raise ValueError(f"a 2-D sine-cosine table needs a width divisible by 4, got {dim}")
    quarter = dim // 4
    freqs = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    angles = torch.arange(grid, dtype=torch.float64)[:, None] * freqs[None]           # (grid, quarter)
    axis = torch.cat([angles.sin(), angles.cos()], dim=1)                              # (grid, dim / 2)
    rows = axis[:, None, :].expand(grid, grid, dim // 2)
    cols = axis[None, :, :].expand(grid, grid, dim // 2)
    return torch.cat([rows, cols], dim=-1).reshape(grid * grid, dim).float()


class PositionalProjector(nn.Module):
    """`inner` followed by a learned embedding per image-token position (see the module docstring)."""

    def __init__(self, inner: nn.Module, num_tokens: int, out_features: int):
        super().__init__()
        grid = math.isqrt(num_tokens)
        if grid * grid != num_tokens:
            raise ValueError(f"+pos2d needs a square grid of patch tokens (select_feature 'patch'), got {num_tokens} tokens")
        self.inner = inner
        self.position = nn.Parameter(sincos_2d(grid, out_features))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[-2] != self.position.shape[0]:
            raise ValueError(f"expected {self.position.shape[0]} image tokens, got {features.shape[-2]}")
        return self.inner(features) + self.position.to(features.dtype)


@register_projector(r"(.+)\+pos2d")
def _pos2d(match: re.Match, in_features: int, out_features: int, num_tokens: int | None) -> nn.Module:
    if num_tokens is None:
        raise ValueError(f"projector {match.group(0)!r} needs the number of image tokens")
    return PositionalProjector(build_projector(match.group(1), in_features, out_features, num_tokens),
                               num_tokens, out_features)


def build_projector(name: str, in_features: int, out_features: int, num_tokens: int | None = None) -> nn.Module:
    """Build the projector registered under a pattern that fully matches `name` (`num_tokens`: image
    tokens per image, needed by position-aware projectors)."""
    for pattern, builder in PROJECTORS.values():
        match = pattern.fullmatch(name)
        if match:
            return builder(match, in_features, out_features, num_tokens)
    raise ValueError(f"unknown projector type {name!r}; registered patterns: {list(PROJECTORS)}")


def projector_linear_names(projector: nn.Module) -> list[str]:
    """Module names of the projector's Linear layers in order ("" for a bare Linear; "0", "2" for mlp2x_gelu).

    HF llava calls the same layers `linear_1`, `linear_2`; the original LLaVA calls them `mm_projector.0`, ...
    """
    return [name for name, module in projector.named_modules() if isinstance(module, nn.Linear)]
