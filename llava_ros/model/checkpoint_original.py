"""Load checkpoints in the original haotian-liu/LLaVA layout (`LlavaLlamaForCausalLM`).

`config.json` is a Llama config plus LLaVA keys (`llava/model/llava_arch.py`,
`llava/train/train.py`):

    mm_vision_tower         hub name or path of the CLIP tower (loaded separately)
    mm_vision_select_layer  default -2
    mm_vision_select_feature "patch" | "cls_patch"
    mm_projector_type       absent = "linear" (builder.py default)
    mm_hidden_size          CLIP hidden size
    image_aspect_ratio      "pad" (LLaVA-1.5) | "square" | absent

Weights: `model.*` and `lm_head.*` (Llama), `model.mm_projector.*` (projector).
Like the original `load_pretrained_model`, the CLIP tower comes from its own
folder, never from `model.vision_tower.*` keys in the checkpoint (ignored);
no hub here, so `vision_tower_path` (or `mm_vision_tower` itself) must be a
local HF CLIP folder. Image positions use IMAGE_TOKEN_INDEX (-200) as in
`llava/mm_utils.py` `tokenizer_image_token`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .config import IMAGE_TOKEN_INDEX, LlavaConfig, ProjectorConfig, TextConfig, VisionConfig, read_config_json
from .llava import LlavaModel
from .safetensors_io import load_state_strict, read_state_dict

# Keys the original adds to the Llama config; not Llama hyper-parameters.
_LLAVA_KEYS = {
    "image_aspect_ratio", "image_grid_pinpoints", "tokenizer_padding_side", "tokenizer_model_max_length",
    "tune_mm_mlp_adapter", "freeze_mm_mlp_adapter", "use_mm_proj", "unfreeze_mm_vision_tower", "torch_dtype",
}


def is_original_config(d: dict[str, Any]) -> bool:
    return "mm_vision_tower" in d or "mm_projector_type" in d or "mm_hidden_size" in d


def config_from_original_dict(d: dict[str, Any], vision_tower_path: str | Path | None = None) -> LlavaConfig:
    if d.get("model_type") not in ("llava_llama", "llava", "llama"):
        raise ValueError(f"only Llama-based original checkpoints are supported, got model_type {d.get('model_type')!r}")
    if d.get("mm_use_im_start_end", False):
        raise ValueError("mm_use_im_start_end=True checkpoints (<im_start>/<im_end> tokens) are not supported")
    aspect = d.get("image_aspect_ratio") or "square"
    if aspect not in ("pad", "square"):
        raise ValueError(f"image_aspect_ratio {aspect!r} is not supported (only 'pad' and 'square')")
    tower = Path(vision_tower_path if vision_tower_path is not None else d.get("mm_vision_tower", ""))
    if not tower.is_dir():
        raise ValueError(f"vision tower {str(tower)!r} is not a local folder; pass vision_tower_path=<local HF CLIP folder>")
    vision = VisionConfig(
        pretrained_path=str(tower),
        select_layer=d.get("mm_vision_select_layer", -2),
        select_feature=d.get("mm_vision_select_feature", "patch"),
        image_aspect=aspect,
    )
    text = {k: v for k, v in d.items() if not k.startswith("mm_") and k not in _LLAVA_KEYS}
    text["model_type"] = "llama"
    return LlavaConfig(
        vision=vision,
        projector=ProjectorConfig(d.get("mm_projector_type", "linear")),
        text=TextConfig.from_hf(text),
        image_token_id=IMAGE_TOKEN_INDEX,
        template="vicuna_v1",
    )


def _our_key(key: str) -> str | None:
    """Original key → ours; None for keys the original itself does not load from this file."""
    if key.startswith("model.mm_projector."):
        return "projector." + key[len("model.mm_projector."):]
    if key.startswith("model.vision_tower."):
        return None
    if key.startswith("model.") or key.startswith("lm_head."):
        return "llm." + key
    raise ValueError(f"unexpected checkpoint key {key!r} for the original LLaVA layout")


def load_original(folder: str | Path, vision_tower_path: str | Path | None = None,
                  dtype: torch.dtype | None = None) -> LlavaModel:
    folder = Path(folder)
    d = read_config_json(folder)
    model = LlavaModel.from_config(config_from_original_dict(d, vision_tower_path))
    mm_hidden = d.get("mm_hidden_size", model.vision.hidden_size)
    if mm_hidden != model.vision.hidden_size:
        raise ValueError(f"mm_hidden_size {mm_hidden} in {folder / 'config.json'} does not match the vision tower's "
                         f"hidden size {model.vision.hidden_size} ({model.config.vision.pretrained_path})")
    if dtype is not None:
        model.to(dtype)
    state = {}
    for key, tensor in read_state_dict(folder).items():
        ours = _our_key(key)
        if ours is not None:
            state[ours] = tensor
    # The tower was loaded from its own folder; only the projector and the LLM come from this checkpoint.
    state.update({f"vision.{k}": v for k, v in model.vision.state_dict().items()})
    tied = bool(model.llm.config.to_dict().get("tie_word_embeddings", False))
    load_state_strict(model, state, folder, allow_missing=("llm.lm_head.weight",) if tied else ())
    return model.eval()
