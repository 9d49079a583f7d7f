"""Turn a checkpoint's linear projector into LLaVA-1.5's ``mlp2x_gelu`` without changing what it computes.

    python -m training.grow_projector --model models/llava-ros-sim --out runs/v59_grown

The paper's projector is one linear map ``y = W x + b`` from the tower's features (``in`` wide) to the
LLM's embeddings (``out`` wide); LLaVA-1.5's is ``y = W2 GELU(W1 x + b1) + b2`` with ``out`` hidden units.
Because GELU(z) − GELU(−z) = z·Φ(z) + z·Φ(−z) = z exactly, hidden units in mirrored pairs pass each feature
through unchanged when ``out >= 2 in``:

- ``W1`` = [I; −I] on the first ``2 in`` hidden units (bias 0), so they hold GELU(x) and GELU(−x);
- ``W2`` = [W, −W] on those units and ``b2 = b``, so the output is W (GELU(x) − GELU(−x)) + b = W x + b.

Hidden units beyond ``2 in`` start with small random input weights and zero output weights: silent at
first, they learn from the first step. The grown checkpoint gives the original's logits (to float
rounding); a stage-2 pass from ``--out`` then trains the MLP's non-linearity (function-preserving growth, as
``training.grow_llm`` does for depth). A ``+pos2d`` position table is kept as it is.
"""
from __future__ import annotations

import dataclasses
import sys

import torch
from torch import nn

from llava_ros.model.config import ProjectorConfig
from llava_ros.model.llava import LlavaModel
from llava_ros.model.projector import PositionalProjector
from training.grown_checkpoint import growth_parser, parameters, write_grown

NEW_UNIT_STD = 0.02  # input weights of hidden units beyond the mirrored pairs


def _core(projector: nn.Module) -> nn.Module:
    return projector.inner if isinstance(projector, PositionalProjector) else projector


def grow_projector(model: LlavaModel) -> LlavaModel:
    """A new LlavaModel whose ``linear`` (or ``linear+pos2d``) projector is an equivalent ``mlp2x_gelu``; it
    shares ``model``'s vision tower and LLM modules (train one of the two, or save the new one and reload)."""
    name = model.config.projector.type
    if name not in ("linear", "linear+pos2d"):
        raise ValueError(f"projector {name!r} is not the paper's linear one (linear or linear+pos2d)")
    linear = _core(model.projector)
    out_features, in_features = linear.weight.shape
    if out_features < 2 * in_features:
        raise ValueError(f"an exact mlp2x_gelu needs the LLM width ({out_features}) to be at least twice the "
                         f"tower's ({in_features})")
    config = dataclasses.replace(model.config, projector=ProjectorConfig(name.replace("linear", "mlp2x_gelu", 1)))
    grown = LlavaModel(config, model.vision, model.llm)
    first, second = _core(grown.projector)[0], _core(grown.projector)[2]
    eye = torch.eye(in_features, dtype=linear.weight.dtype)
    with torch.no_grad():
        first.weight.normal_(0.0, NEW_UNIT_STD)
        first.weight[: 2 * in_features] = torch.cat([eye, -eye])
        first.bias.zero_()
        second.weight.zero_()
        second.weight[:, : 2 * in_features] = torch.cat([linear.weight, -linear.weight], dim=1)
        second.bias.copy_(linear.bias)
        if isinstance(model.projector, PositionalProjector):
            grown.projector.position.copy_(model.projector.position)
    return grown.to(model.device).eval()


def main(argv: list[str] | None = None) -> int:
    parser = growth_parser(__doc__, "a LLaVA checkpoint folder with a linear projector")
    args = parser.parse_args(argv)
    def describe(model, grown):
        return (f"{model.config.projector.type} -> {grown.config.projector.type}, projector "
                f"{parameters(model.projector):,} -> {parameters(grown.projector):,} parameters")
    return write_grown("grow_projector", args.model, args.out, grow_projector, describe)


if __name__ == "__main__":
    sys.exit(main())
