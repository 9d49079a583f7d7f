"""Widen the LLM of a LLaVA checkpoint (residual width, attention heads, MLP units) without changing what it computes.

    python -m training.widen_llm --model models/llava-ros-sim --hidden 384 --intermediate 1032 --out runs/v60_wide

Every old weight keeps its place in the top-left block of the wider tensor; what is new is set so that the
new residual dimensions stay zero and the new heads and MLP units stay silent (function-preserving growth,
Chen et al., Net2Net, 2016):

- **writes into the residual stream** (token embeddings, attention ``o_proj``, MLP ``down_proj``, the
  projector's last linear layer and its ``+pos2d`` table): zero in every new row and column, so nothing new
  reaches the old dimensions and the new dimensions hold zeros;
- **reads from it** (``q/k/v_proj``, ``gate/up_proj``, the LM head) and the new heads' and units' own
  weights: the fresh model's random initialisation. They read zeros at first, so they change nothing, yet
  they pass gradients to the zero writes, which start to learn from the first step. An LM head tied to the
  token embeddings is the same matrix, so its new columns are zero like theirs;
- **RMSNorm**: it divides by sqrt(mean of squares over the width + eps), and zeros in the new dimensions
  lower the mean by old/new. So eps is scaled by old/new too (the root then shrinks by exactly
  sqrt(old/new), which matters: early activations are small next to eps) and the old weights by
  sqrt(old/new) to cancel it (the new weights are their mean, scaled the same). The grown model matches
  to float rounding.

Heads keep their width (``head_dim``); the number of key/value heads grows in the same proportion as the
query heads, so each old query head keeps its key/value head. The vision tower is copied as it is, and the
tokenizer along. Continue stage 2 from ``--out`` to train the new width.
"""
from __future__ import annotations

import dataclasses
import math
import sys

import torch
from torch import nn
from transformers import AutoModelForCausalLM

from llava_ros.model.config import TextConfig
from llava_ros.model.llava import LlavaModel
from training.grow_llm import ZEROED
from training.grown_checkpoint import growth_parser, parameters, write_grown

# LLM weights whose output is the residual stream: the embeddings and each branch's output projection
WRITES = ("embed_tokens.", *ZEROED)


def head_dim(text: TextConfig) -> int:
    return text.extra.get("head_dim") or text.hidden_size // text.num_attention_heads


def widened_text(text: TextConfig, hidden: int, intermediate: int) -> TextConfig:
    """The config of the wider LLM: the same head width, more heads, more MLP units; ValueError if not wider."""
    width = head_dim(text)
    kv = text.num_key_value_heads or text.num_attention_heads
    if hidden < text.hidden_size or intermediate < text.intermediate_size:
        raise ValueError(f"--hidden {hidden} / --intermediate {intermediate} must be at least the LLM's "
                         f"{text.hidden_size} / {text.intermediate_size}")
    if hidden % width:
        raise ValueError(f"--hidden {hidden} must be a multiple of the head width {width}")
    heads = hidden // width
    if (heads * kv) % text.num_attention_heads:
        raise ValueError(f"{heads} heads cannot keep the LLM's {text.num_attention_heads // kv} query heads per "
                         f"key/value head; choose --hidden as a multiple of {width * text.num_attention_heads // kv}")
    return dataclasses.replace(text, hidden_size=hidden, intermediate_size=intermediate, num_attention_heads=heads,
                               num_key_value_heads=heads * kv // text.num_attention_heads,
                               rms_norm_eps=text.rms_norm_eps * text.hidden_size / hidden,
                               extra={**text.extra, "head_dim": width})


def _embed_old(new: torch.Tensor, old: torch.Tensor, zero_new: bool) -> torch.Tensor:
    """`new` (random init) with `old` in its leading block; the rest zero where `zero_new`."""
    out = torch.zeros_like(new) if zero_new else new.clone()
    out[tuple(slice(0, n) for n in old.shape)] = old
    return out


def _widen_llm_state(old: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor], scale: float,
                     writes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    state = {}
    for key, new in fresh.items():
        value = old[key]
        if key.endswith("norm.weight"):
            state[key] = torch.cat([value, value.mean().expand(new.shape[0] - value.shape[0])]) * scale
        elif any(part in key for part in writes):
            state[key] = _embed_old(new, value, zero_new=True)
        else:
            state[key] = _embed_old(new, value, zero_new=False)
    return state


def _widen_projector(old: nn.Module, new: nn.Module) -> None:
    """Copy the old projector into the wider one: its last linear layer and position table write the residual
    stream (new rows/columns zero); an MLP's earlier layers keep random new units whose outputs are unread."""
    linears = [name for name, module in new.named_modules() if isinstance(module, nn.Linear)]
    old_state, new_state = old.state_dict(), new.state_dict()
    state = {}
    for key, fresh in new_state.items():
        value = old_state[key]
        module = key.rsplit(".", 1)[0] if "." in key else ""
        if module == linears[-1] or key == "position":
            state[key] = _embed_old(fresh, value, zero_new=True)
        elif key.endswith("weight") and fresh.dim() == 2 and linears.index(module) > 0:
            out = _embed_old(fresh, value, zero_new=False)
            out[:, value.shape[1]:] = 0  # reads units of the previous layer that are new
            state[key] = out
        else:
            state[key] = _embed_old(fresh, value, zero_new=False)
    new.load_state_dict(state, strict=True)


def widen_llm(model: LlavaModel, hidden: int, intermediate: int) -> LlavaModel:
    """A new LlavaModel whose LLM is `hidden` wide with `intermediate` MLP units, computing what `model` does;
    it shares `model`'s vision tower."""
    text = widened_text(model.config.text, hidden, intermediate)
    llm = AutoModelForCausalLM.from_config(text.to_hf())
    scale = math.sqrt(model.config.text.hidden_size / hidden)
    writes = WRITES + (("lm_head.",) if llm.config.tie_word_embeddings else ())
    llm.load_state_dict(_widen_llm_state(model.llm.state_dict(), llm.state_dict(), scale, writes), strict=True)
    grown = LlavaModel(dataclasses.replace(model.config, text=text), model.vision, llm.to(model.device))
    _widen_projector(model.projector, grown.projector)
    return grown.eval()


def main(argv: list[str] | None = None) -> int:
    parser = growth_parser(__doc__, "a LLaVA checkpoint folder (save_pretrained layout)")
    parser.add_argument("--hidden", required=True, type=int, help="the new residual width (a multiple of head_dim)")
    parser.add_argument("--intermediate", required=True, type=int, help="the new number of MLP units per layer")
    args = parser.parse_args(argv)

    def describe(model, grown):
        old, new = model.config.text, grown.config.text
        return (f"width {old.hidden_size} -> {new.hidden_size}, heads {old.num_attention_heads} -> "
                f"{new.num_attention_heads}, MLP {old.intermediate_size} -> {new.intermediate_size}, "
                f"LLM {parameters(model.llm):,} -> {parameters(grown.llm):,} parameters")
    return write_grown("widen_llm", args.model, args.out,
                       lambda model: widen_llm(model, args.hidden, args.intermediate), describe)


if __name__ == "__main__":
    sys.exit(main())
