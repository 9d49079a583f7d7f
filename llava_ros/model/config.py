"""Typed configs for the LLaVA model: vision tower, projector, language model.

Each component has its own dataclass; `LlavaConfig` nests them and round-trips
through JSON (`to_dict` / `from_dict`, `save_json` / `load_json`).

Defaults follow LLaVA-1.5 (haotian-liu/LLaVA, `scripts/v1_5/finetune.sh`):
CLIP ViT-L/14-336, features from layer -2 without CLS (`mm_vision_select_layer
-2`, `mm_vision_select_feature patch`), `mlp2x_gelu` projector, Vicuna/Llama LLM.
The original marks image positions with IMAGE_TOKEN_INDEX = -200
(`llava/constants.py`); HF llava checkpoints use a real vocabulary id instead.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import AutoConfig, CLIPVisionConfig, PretrainedConfig

# CLIPImageProcessor defaults (OPENAI_CLIP_MEAN / OPENAI_CLIP_STD in transformers).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGE_TOKEN_INDEX = -200  # llava/constants.py
IGNORE_INDEX = -100  # llava/constants.py; also torch's CrossEntropyLoss default

SELECT_FEATURES = ("patch", "cls_patch")
IMAGE_ASPECTS = ("square", "pad")

_VISION_FIELDS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "image_size", "patch_size", "hidden_act", "layer_norm_eps",
)
_TEXT_FIELDS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps",
)
# Bookkeeping keys of HF config dicts that are not model hyper-parameters.
_HF_META = {"model_type", "architectures", "transformers_version", "_name_or_path"}


def _split_hf(hf: PretrainedConfig | dict, known_fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(known fields, extra = other non-default fields) of an HF config object or dict with model_type.

    Extras equal to the HF class defaults are dropped so that equal models give equal configs."""
    if isinstance(hf, dict):
        if "model_type" not in hf:
            raise ValueError(f"HF config dict has no model_type; keys: {sorted(hf)}")
        rest = {k: v for k, v in hf.items() if k not in _HF_META}
        hf = AutoConfig.for_model(hf["model_type"], **rest)
    full, defaults = hf.to_dict(), type(hf)().to_dict()
    known = {k: full[k] for k in known_fields if k in full}
    extra = {k: v for k, v in full.items()
             if k not in known and k not in _HF_META and k != "dtype" and (k not in defaults or defaults[k] != v)}
    return known, extra


@dataclass
class VisionConfig:
    """CLIP vision tower + which of its hidden states LLaVA reads."""

    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    image_size: int = 336
    patch_size: int = 14
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    select_layer: int = -2  # index into hidden_states (embeddings + one per layer)
    select_feature: str = "patch"  # "patch" drops CLS, "cls_patch" keeps it
    image_aspect: str = "square"  # "square": resize+centre crop; "pad": LLaVA-1.5 expand2square
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD
    pretrained_path: str | None = None  # local HF CLIP folder; None = random init from these fields
    extra: dict[str, Any] = field(default_factory=dict)  # other CLIPVisionConfig kwargs

    def __post_init__(self) -> None:
        if self.select_feature not in SELECT_FEATURES:
            raise ValueError(f"select_feature must be one of {SELECT_FEATURES}, got {self.select_feature!r}")
        if self.image_aspect not in IMAGE_ASPECTS:
            raise ValueError(f"image_aspect must be one of {IMAGE_ASPECTS}, got {self.image_aspect!r}")
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        n_states = self.num_hidden_layers + 1
        if not -n_states <= self.select_layer < n_states:
            raise ValueError(f"select_layer {self.select_layer} out of range for {n_states} hidden states")
        self.image_mean = tuple(self.image_mean)
        self.image_std = tuple(self.image_std)

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def num_image_tokens(self) -> int:
        """Positions one `<image>` expands into."""
        return self.num_patches + (1 if self.select_feature == "cls_patch" else 0)

    def to_hf(self) -> CLIPVisionConfig:
        kwargs = {name: getattr(self, name) for name in _VISION_FIELDS}
        return CLIPVisionConfig(**self.extra, **kwargs)

    @classmethod
    def from_hf(cls, hf: PretrainedConfig | dict, **overrides: Any) -> VisionConfig:
        known, extra = _split_hf(hf, _VISION_FIELDS)
        return cls(**known, extra=extra, **overrides)


@dataclass
class ProjectorConfig:
    """Vision→LLM connector; `type` is a name in `projector.PROJECTORS` (e.g. linear, mlp2x_gelu)."""

    type: str = "mlp2x_gelu"


@dataclass
class TextConfig:
    """Causal LLM (Llama family) built with `AutoModelForCausalLM`."""

    model_type: str = "llama"
    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int | None = None
    vocab_size: int = 32000
    max_position_embeddings: int = 4096
    rms_norm_eps: float = 1e-5
    pretrained_path: str | None = None  # local HF causal-LM folder; None = random init
    extra: dict[str, Any] = field(default_factory=dict)  # other kwargs of the HF config

    def to_hf(self) -> PretrainedConfig:
        kwargs = {name: getattr(self, name) for name in _TEXT_FIELDS}
        if kwargs["num_key_value_heads"] is None:
            kwargs["num_key_value_heads"] = self.num_attention_heads
        return AutoConfig.for_model(self.model_type, **self.extra, **kwargs)

    @classmethod
    def from_hf(cls, hf: PretrainedConfig | dict, **overrides: Any) -> TextConfig:
        known, extra = _split_hf(hf, _TEXT_FIELDS)
        model_type = hf["model_type"] if isinstance(hf, dict) else hf.model_type
        return cls(model_type=model_type, **known, extra=extra, **overrides)


@dataclass
class LlavaConfig:
    vision: VisionConfig = field(default_factory=VisionConfig)
    projector: ProjectorConfig = field(default_factory=ProjectorConfig)
    text: TextConfig = field(default_factory=TextConfig)
    image_token: str = "<image>"  # placeholder string in prompts
    image_token_id: int = IMAGE_TOKEN_INDEX  # id that marks image positions in input_ids
    template: str = "vicuna_v1"  # conversation template used at inference

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LlavaConfig:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown LlavaConfig keys: {sorted(unknown)}")
        d = dict(d)
        d["vision"] = VisionConfig(**d.get("vision", {}))
        d["projector"] = ProjectorConfig(**d.get("projector", {}))
        d["text"] = TextConfig(**d.get("text", {}))
        return cls(**d)

    def save_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load_json(cls, path: str | Path) -> LlavaConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))


def read_config_json(folder: str | Path) -> dict[str, Any]:
    """A checkpoint folder's ``config.json`` as a dict, or a FileNotFoundError naming the folder."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"no config.json in {folder}")
    return json.loads(path.read_text())
