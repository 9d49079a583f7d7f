"""Vision→language projectors, chosen by name.

Mirrors haotian-liu/LLaVA `llava/model/multimodal_projector/builder.py`:
`linear` is the paper's projection W, `mlp{N}x_gelu` (LLaVA-1.5 uses
`mlp2x_gelu`) is Linear → (GELU → Linear) × (N-1) in an `nn.Sequential`, so the
parameter names (`0.weight`, `2.weight`, ...) match the original checkpoints'
`mm_projector.*` keys. `identity` passes features through unchanged.

New projectors register a full-match regex with `@register_projector(...)`;
the regex's groups are passed to the builder.
"""

from __future__ import annotations

import re
from typing import Callable

from torch import nn

ProjectorBuilder = Callable[[re.Match, int, int], nn.Module]
PROJECTORS: dict[str, tuple[re.Pattern, ProjectorBuilder]] = {}


def register_projector(pattern: str) -> Callable[[ProjectorBuilder], ProjectorBuilder]:
    def wrap(builder: ProjectorBuilder) -> ProjectorBuilder:
        PROJECTORS[pattern] = (re.compile(pattern), builder)
        return builder

    return wrap


@register_projector(r"linear")
def _linear(match: re.Match, in_features: int, out_features: int) -> nn.Module:
    return nn.Linear(in_features, out_features)


@register_projector(r"mlp(\d+)x_gelu")
def _mlp_gelu(match: re.Match, in_features: int, out_features: int) -> nn.Module:
    depth = int(match.group(1))
    if depth < 1:
        raise ValueError(f"mlp depth must be >= 1, got {match.group(0)!r}")
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    for _ in range(1, depth):
        layers += [nn.GELU(), nn.Linear(out_features, out_features)]
    return nn.Sequential(*layers)


@register_projector(r"identity")
def _identity(match: re.Match, in_features: int, out_features: int) -> nn.Module:
    if in_features != out_features:
        raise ValueError(f"identity projector needs equal sizes, got vision {in_features} vs text {out_features}")
    return nn.Identity()


def build_projector(name: str, in_features: int, out_features: int) -> nn.Module:
    """Build the projector registered under a pattern that fully matches `name`."""
    for pattern, builder in PROJECTORS.values():
        match = pattern.fullmatch(name)
        if match:
            return builder(match, in_features, out_features)
    raise ValueError(f"unknown projector type {name!r}; registered patterns: {list(PROJECTORS)}")


def projector_linear_names(projector: nn.Module) -> list[str]:
    """Module names of the projector's Linear layers in order ("" for a bare Linear; "0", "2" for mlp2x_gelu).

    HF llava calls the same layers `linear_1`, `linear_2`; the original LLaVA calls them `mm_projector.0`, ...
    """
    return [name for name, module in projector.named_modules() if isinstance(module, nn.Linear)]
