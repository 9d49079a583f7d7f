"""Average the weights of LLaVA checkpoints fine-tuned from one starting point ("model soup").

    python -m training.average_weights --models runs/v35/final runs/v37/final --out runs/soup

Every parameter of the output is the mean of the same parameter in the input folders (the uniform
soup of Wortsman et al., Model soups, 2022). That only makes sense for checkpoints trained from one
checkpoint (here, stage-2 passes from the shipped model), which stay in one basin of the loss;
the inputs must therefore share the architecture (`config.json`) and the tokenizer, and the command
refuses folders that differ in either. The output is a checkpoint folder in the HF layout with the
first model's tokenizer, usable as ``--model`` anywhere.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from llava_ros.model import load_pretrained, save_pretrained
from llava_ros.model.llava import LlavaModel


def average_models(models: Sequence[LlavaModel]) -> LlavaModel:
    """The first model with every parameter and buffer replaced by the mean over ``models`` (in float32)."""
    if len(models) < 2:
        raise ValueError(f"averaging needs at least two models, got {len(models)}")
    first = models[0]
    for i, other in enumerate(models[1:], start=2):
        if other.config.to_dict() != first.config.to_dict():
            raise ValueError(f"model {i} has another config than model 1; only checkpoints of one "
                             "architecture, trained from one starting point, can be averaged")
    states = [m.state_dict() for m in models]
    averaged = {}
    for key, value in states[0].items():
        if not value.is_floating_point():
            averaged[key] = value
            continue
        averaged[key] = torch.stack([s[key].float() for s in states]).mean(0).to(value.dtype)
    first.load_state_dict(averaged)
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="checkpoint folders (two or more)")
    parser.add_argument("--out", required=True, help="output checkpoint folder")
    args = parser.parse_args(argv)
    try:
        loaded = [load_pretrained(m) for m in args.models]
        tokenizers = [tok for _, tok in loaded]
        for folder, tok in zip(args.models[1:], tokenizers[1:]):
            if tok.get_vocab() != tokenizers[0].get_vocab():
                raise ValueError(f"{folder} has another tokenizer than {args.models[0]}")
        model = average_models([m for m, _ in loaded])
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    save_pretrained(model, tokenizers[0], Path(args.out))
    print(f"averaged {len(args.models)} checkpoints into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
