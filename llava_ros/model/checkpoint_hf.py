"""The HF llava folder layout that transformers' `LlavaForConditionalGeneration` reads.

`config.json` has `model_type: "llava"`, nested `text_config` / `vision_config`,
`image_token_index`, `vision_feature_layer`, `vision_feature_select_strategy`
("default" drops CLS, "full" keeps it). Weight names are those transformers
5.23 `save_pretrained` writes (its `conversion_mapping.py` maps them to the
in-memory `model.language_model.*` / `model.vision_tower.*` / `lm_head.*`):

    language_model.model.*        -> our llm.model.*
    language_model.lm_head.weight -> our llm.lm_head.weight
    vision_tower.*                -> our vision.clip.*   (older files: vision_tower.vision_model.*)
    multi_modal_projector.linear_{i}.* -> our projector's i-th Linear

transformers only implements the `mlp2x_gelu` projector. Our own layout is the
same folder with `model_type: "llava_ros"` for any other projector (so
transformers refuses it instead of loading half the weights); both record
`projector_type`, `image_aspect`, `image_mean`, `image_std`, `image_token` and
`template` as extra keys (transformers keeps unknown config keys as attributes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch

from .config import LlavaConfig, ProjectorConfig, TextConfig, VisionConfig, read_config_json
from .llava import LlavaModel
from .projector import PositionalProjector, projector_linear_names
from .safetensors_io import WEIGHTS_NAME, load_state_strict, read_state_dict, write_safetensors

HF_MODEL_TYPES = ("llava", "llava_ros")
HF_PROJECTOR = "mlp2x_gelu"

# checkpoint key prefix (regex) -> our prefix; projector keys are handled separately.
_LOAD_PREFIXES = (
    (r"(?:model\.)?vision_tower\.(?:vision_model\.)?", "vision.clip."),
    (r"(?:language_model\.model|model\.language_model)\.", "llm.model."),
    (r"(?:language_model\.)?lm_head\.", "llm.lm_head."),
)
_SAVE_PREFIXES = (("vision.clip.", "vision_tower."), ("llm.model.", "language_model.model."),
                  ("llm.lm_head.", "language_model.lm_head."))
_PROJECTOR_KEY = re.compile(r"(?:model\.)?multi_modal_projector\.linear_(\d+)\.(.+)")
_POSITION_KEY = re.compile(r"(?:model\.)?multi_modal_projector\.position_embedding")  # `+pos2d` projectors


def config_from_hf_dict(d: dict[str, Any]) -> LlavaConfig:
    """LlavaConfig from a transformers llava `config.json` (plus our extra keys, when present)."""
    if d.get("model_type") not in HF_MODEL_TYPES:
        raise ValueError(f"expected model_type in {HF_MODEL_TYPES}, got {d.get('model_type')!r}")
    layer = d.get("vision_feature_layer", -2)
    if not isinstance(layer, int):
        raise ValueError(f"vision_feature_layer must be one int (several layers are not supported), got {layer!r}")
    strategy = d.get("vision_feature_select_strategy", "default")
    if strategy not in ("default", "full"):
        raise ValueError(f"vision_feature_select_strategy must be 'default' or 'full', got {strategy!r}")
    if d.get("projector_hidden_act", "gelu") != "gelu" or not d.get("multimodal_projector_bias", True):
        raise ValueError("only the gelu projector with bias is supported, got "
                         f"projector_hidden_act={d.get('projector_hidden_act')!r}, bias={d.get('multimodal_projector_bias')!r}")
    vision_extra = {k: d[k] for k in ("image_mean", "image_std") if k in d}
    vision = VisionConfig.from_hf(
        d["vision_config"],
        select_layer=layer,
        select_feature="patch" if strategy == "default" else "cls_patch",
        image_aspect=d.get("image_aspect", "square"),
        **vision_extra,
    )
    return LlavaConfig(
        vision=vision,
        projector=ProjectorConfig(d.get("projector_type", HF_PROJECTOR)),
        text=TextConfig.from_hf(d["text_config"]),
        image_token=d.get("image_token", "<image>"),
        image_token_id=d.get("image_token_index", 32000),
        template=d.get("template", "vicuna_v1"),
    )


def config_to_hf_dict(model: LlavaModel) -> dict[str, Any]:
    c = model.config
    if c.image_token_id < 0:
        raise ValueError(f"image_token_id {c.image_token_id} is not a vocabulary id; the HF layout needs "
                         f"{c.image_token!r} added to the tokenizer and its id as image_token_id")
    is_hf = c.projector.type == HF_PROJECTOR
    text_config = {**model.llm.config.to_diff_dict(), "model_type": model.llm.config.model_type}
    return {
        "architectures": ["LlavaForConditionalGeneration" if is_hf else "LlavaRosModel"],
        "model_type": "llava" if is_hf else "llava_ros",
        "text_config": text_config,
        "vision_config": model.vision.clip.config.to_diff_dict(),
        "image_token_index": c.image_token_id,
        "image_seq_length": model.num_image_tokens,
        "projector_hidden_act": "gelu",
        "multimodal_projector_bias": True,
        "vision_feature_layer": c.vision.select_layer,
        "vision_feature_select_strategy": "default" if c.vision.select_feature == "patch" else "full",
        "tie_word_embeddings": bool(text_config.get("tie_word_embeddings", False)),
        "dtype": str(model.llm.dtype).removeprefix("torch."),
        "projector_type": c.projector.type,
        "image_aspect": c.vision.image_aspect,
        "image_mean": list(c.vision.image_mean),
        "image_std": list(c.vision.image_std),
        "image_token": c.image_token,
        "template": c.template,
    }


def _projector_names(model: LlavaModel) -> dict[str, str]:
    """Our projector parameter names -> `multi_modal_projector.linear_{i}.*` (i counts Linear layers from 1)."""
    names = {}
    for i, layer in enumerate(projector_linear_names(model.projector), start=1):
        prefix = f"projector.{layer}." if layer else "projector."
        for param in ("weight", "bias"):
            names[prefix + param] = f"multi_modal_projector.linear_{i}.{param}"
    if isinstance(model.projector, PositionalProjector):
        names["projector.position"] = "multi_modal_projector.position_embedding"
    return names


def _load_key(key: str, projector: dict[str, str]) -> str:
    if _POSITION_KEY.fullmatch(key):
        if "projector.position" not in projector:
            raise ValueError(f"checkpoint key {key!r} needs a position-aware projector (`+pos2d`)")
        return "projector.position"
    match = _PROJECTOR_KEY.fullmatch(key)
    if match:
        ours = {theirs: mine for mine, theirs in projector.items()}
        theirs = f"multi_modal_projector.linear_{match.group(1)}.{match.group(2)}"
        if theirs not in ours:
            raise ValueError(f"checkpoint key {key!r} has no matching projector parameter; expected one of {sorted(ours)}")
        return ours[theirs]
    for pattern, ours_prefix in _LOAD_PREFIXES:
        match = re.match(pattern, key)
        if match:
            return ours_prefix + key[match.end():]
    raise ValueError(f"unexpected checkpoint key {key!r} for the HF llava layout")


def _save_key(key: str, projector: dict[str, str]) -> str:
    if key in projector:
        return projector[key]
    for ours, theirs in _SAVE_PREFIXES:
        if key.startswith(ours):
            return theirs + key[len(ours):]
    raise ValueError(f"model parameter {key!r} has no name in the HF llava layout")


def save_hf(model: LlavaModel, folder: str | Path) -> None:
    """Write config.json + model.safetensors (the tokenizer is saved by `checkpoint.save_pretrained`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = _projector_names(model)
    tied = bool(model.llm.config.to_dict().get("tie_word_embeddings", False))
    state = {
        _save_key(k, names): v
        for k, v in model.state_dict().items()
        if not (tied and k == "llm.lm_head.weight")  # transformers drops the tied copy too
    }
    (folder / "config.json").write_text(json.dumps(config_to_hf_dict(model), indent=2) + "\n")
    write_safetensors(state, folder / WEIGHTS_NAME)


def load_hf(folder: str | Path, dtype: torch.dtype | None = None) -> LlavaModel:
    folder = Path(folder)
    config = config_from_hf_dict(read_config_json(folder))
    model = LlavaModel.from_config(config)
    if dtype is not None:
        model.to(dtype)
    names = _projector_names(model)
    state = {_load_key(k, names): v for k, v in read_state_dict(folder).items()}
    tied = bool(model.llm.config.to_dict().get("tie_word_embeddings", False))
    load_state_strict(model, state, folder, allow_missing=("llm.lm_head.weight",) if tied else ())
    return model.eval()
