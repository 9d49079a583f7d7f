"""One entry point for checkpoint folders: model + tokenizer, either layout.

`load_pretrained(folder)` reads `config.json` and picks the layout:
HF llava / our own (`model_type` "llava" / "llava_ros", `checkpoint_hf.py`) or
the original LLaVA one (`mm_*` keys, `checkpoint_original.py`).
`save_pretrained(model, tokenizer, folder)` always writes the HF layout.
Tokenizers load from local files only (`tokenizer.json`, or a SentencePiece
`tokenizer.model` that transformers converts).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from .checkpoint_hf import HF_MODEL_TYPES, load_hf, save_hf
from .checkpoint_original import is_original_config, load_original
from .config import read_config_json
from .llava import LlavaModel


def load_tokenizer(folder: str | Path) -> PreTrainedTokenizerBase:
    folder = Path(folder)
    if not (folder / "tokenizer.json").is_file() and not (folder / "tokenizer.model").is_file():
        raise FileNotFoundError(f"no tokenizer.json or tokenizer.model in {folder}")
    config = folder / "config.json"
    if config.is_file() and json.loads(config.read_text()).get("model_type") == "llava_ros":
        # AutoTokenizer would read config.json to pick a class and warn about the unknown model type;
        # our folders always carry a complete tokenizer.json.
        return PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


def load_model(folder: str | Path, vision_tower_path: str | Path | None = None,
               dtype: torch.dtype | None = None) -> LlavaModel:
    folder = Path(folder)
    d = read_config_json(folder)
    if d.get("model_type") in HF_MODEL_TYPES and "text_config" in d:
        if vision_tower_path is not None:
            raise ValueError(f"{folder} is an HF llava checkpoint with its own vision tower; "
                             f"vision_tower_path={str(vision_tower_path)!r} would be ignored")
        return load_hf(folder, dtype)
    if is_original_config(d):
        return load_original(folder, vision_tower_path, dtype)
    raise ValueError(f"{folder / 'config.json'} is neither an HF llava config (model_type in {HF_MODEL_TYPES}) "
                     f"nor an original LLaVA one (mm_* keys); model_type is {d.get('model_type')!r}")


def load_pretrained(folder: str | Path, vision_tower_path: str | Path | None = None,
                    dtype: torch.dtype | None = None) -> tuple[LlavaModel, PreTrainedTokenizerBase]:
    return load_model(folder, vision_tower_path, dtype), load_tokenizer(folder)


def save_pretrained(model: LlavaModel, tokenizer: PreTrainedTokenizerBase | None, folder: str | Path) -> None:
    save_hf(model, folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(str(folder))
