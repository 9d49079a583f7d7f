"""Grow the LLM of a LLaVA checkpoint in depth without changing what it computes.

    python -m training.grow_llm --model runs/v29/final --after 0,1,2,3 --out runs/v32_grown

After each decoder layer listed in ``--after`` a new layer is inserted: a copy of that layer whose
two output projections (attention ``o_proj`` and MLP ``down_proj``) are zero. Both branches of a
Llama layer add to the residual stream, so a new layer starts as the identity and the grown model
gives the same logits as the original (function-preserving growth, Chen et al., Net2Net, 2016; the
copied layer as the starting point, as in depth up-scaling, Kim et al., SOLAR, 2023). The copied
query/key/value and gate/up weights give the zero projections non-zero gradients from the first
step, so the new layers start to learn at once when stage 2 continues from the output folder.

The vision tower, the projector, the embeddings, the final norm and the LM head are copied as
they are; the tokenizer is copied along.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

import torch
from transformers import AutoModelForCausalLM

from llava_ros.model.llava import LlavaModel
from training.grown_checkpoint import growth_parser, parameters, write_grown

ZEROED = ("self_attn.o_proj.", "mlp.down_proj.")  # the branches' outputs into the residual stream


def layer_sources(num_layers: int, after: Sequence[int]) -> list[tuple[int, bool]]:
    """For each layer of the grown stack: (source layer, whether it is a new, zero-output copy)."""
    bad = sorted(i for i in after if not 0 <= i < num_layers)
    if bad:
        raise ValueError(f"--after names layers {bad}; the LLM has layers 0..{num_layers - 1}")
    if len(set(after)) != len(after):
        raise ValueError(f"--after names a layer twice: {list(after)}")
    sources = []
    for i in range(num_layers):
        sources.append((i, False))
        if i in after:
            sources.append((i, True))
    return sources


def grow_depth(model: LlavaModel, after: Sequence[int]) -> LlavaModel:
    """A new LlavaModel whose LLM has a zero-output copy inserted after each layer in `after`."""
    old_layers = model.config.text.num_hidden_layers
    sources = layer_sources(old_layers, after)
    text = dataclasses.replace(model.config.text, num_hidden_layers=len(sources))
    llm = AutoModelForCausalLM.from_config(text.to_hf())  # fresh layers, so each knows its own index
    old = model.llm.state_dict()
    prefix = "model.layers."
    state = {k: v for k, v in old.items() if not k.startswith(prefix)}
    for j, (i, new) in enumerate(sources):
        src = f"{prefix}{i}."
        for key, value in old.items():
            if key.startswith(src):
                rest = key[len(src):]
                state[f"{prefix}{j}.{rest}"] = torch.zeros_like(value) if new and rest.startswith(ZEROED) \
                    else value.clone()
    llm.load_state_dict(state, strict=True)
    grown = LlavaModel(dataclasses.replace(model.config, text=text), model.vision, llm.to(model.device))
    grown.projector.load_state_dict(model.projector.state_dict())
    return grown.eval()


def parse_layers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--after wants comma-separated layer indices, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = growth_parser(__doc__, "a LLaVA checkpoint folder (save_pretrained layout)")
    parser.add_argument("--after", required=True, type=parse_layers,
                        help="comma-separated decoder layers to insert a new layer after, e.g. 0,1,2,3")
    args = parser.parse_args(argv)
    def describe(model, grown):
        return (f"{model.config.text.num_hidden_layers} -> {grown.config.text.num_hidden_layers} layers, "
                f"LLM {parameters(model.llm):,} -> {parameters(grown.llm):,} parameters")
    return write_grown("grow_llm", args.model, args.out, lambda model: grow_depth(model, args.after), describe)

if __name__ == "__main__":
    sys.exit(main())
