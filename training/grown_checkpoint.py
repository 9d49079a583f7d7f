"""The command-line half shared by the checkpoint growth tools (``training.grow_llm``, ``training.grow_projector``,
``training.widen_llm``, ``training.grow_resolution``).

Each tool turns a LLaVA checkpoint into a larger one (the first three into one that computes the same thing,
``grow_resolution`` into one that reads more image patches); this module loads the checkpoint, applies the
tool's growth, and writes the result into a new folder, refusing an existing one.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from torch import nn

from llava_ros.model import load_pretrained, save_pretrained
from llava_ros.model.llava import LlavaModel


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def growth_parser(doc: str, model_help: str) -> argparse.ArgumentParser:
    """The tools' shared arguments, ``--model`` (the checkpoint) and ``--out`` (a new folder); each adds its own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help=model_help)
    parser.add_argument("--out", required=True, help="folder for the new checkpoint (must not exist)")
    return parser


def write_grown(tool: str, model_dir: str, out_dir: str, grow: Callable[[LlavaModel], LlavaModel],
                describe: Callable[[LlavaModel, LlavaModel], str]) -> int:
    """Save ``grow(original)`` into the new folder ``out_dir`` and print ``describe(original, grown)``: the
    tool's exit code, 2 (with the reason on stderr) when ``out_dir`` exists or ``grow`` refuses the checkpoint."""
    out = Path(out_dir)
    if out.exists():
        print(f"{tool}: {out} exists; choose a new folder", file=sys.stderr)
        return 2
    model, tokenizer = load_pretrained(model_dir)
    try:
        grown = grow(model)
    except ValueError as err:
        print(f"{tool}: {err}", file=sys.stderr)
        return 2
    save_pretrained(grown, tokenizer, out)
    print(f"{tool}: {describe(model, grown)}; wrote {out}")
    return 0
