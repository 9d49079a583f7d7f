"""Weights on disk: safetensors only (never torch.load / pickle).

Reads a single `model.safetensors` or a sharded folder described by
`model.safetensors.index.json` (the HF layout), and loads a state dict into a
module strictly, naming every missing and unexpected key.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

WEIGHTS_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        return load_file(path)
    except SafetensorError as e:
        raise ValueError(f"cannot read {path}: corrupt or truncated safetensors file ({e})") from e


def read_state_dict(folder: str | Path) -> dict[str, torch.Tensor]:
    """All tensors of a checkpoint folder (single file or shards)."""
    folder = Path(folder)
    if (folder / INDEX_NAME).is_file():
        weight_map = json.loads((folder / INDEX_NAME).read_text())["weight_map"]
        files = sorted(set(weight_map.values()))
    elif (folder / WEIGHTS_NAME).is_file():
        files = [WEIGHTS_NAME]
    else:
        pickles = sorted(p.name for p in folder.glob("*.bin")) + sorted(p.name for p in folder.glob("*.pt"))
        hint = f"; found pickle checkpoints {pickles}: convert them to safetensors, they are never unpickled" if pickles else ""
        raise FileNotFoundError(f"no {WEIGHTS_NAME} or {INDEX_NAME} in {folder}{hint}")
    state: dict[str, torch.Tensor] = {}
    for name in files:
        state.update(read_safetensors(folder / name))
    return state


def write_safetensors(state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Write contiguous CPU copies (safetensors refuses shared or strided storage)."""
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


def load_state_strict(module: nn.Module, state: dict[str, torch.Tensor], source: str | Path,
                      allow_missing: tuple[str, ...] = ()) -> None:
    """`load_state_dict` that fails with the offending key names (besides `allow_missing`, e.g. tied lm_head)."""
    result = module.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if k not in allow_missing]
    if missing or result.unexpected_keys:
        raise ValueError(
            f"weights in {source} do not match the model: missing {missing[:10]} ({len(missing)} total), "
            f"unexpected {result.unexpected_keys[:10]} ({len(result.unexpected_keys)} total)"
        )
