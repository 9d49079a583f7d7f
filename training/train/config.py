"""Typed training config: ``model`` / ``data`` / ``optim`` / ``run`` sections, from YAML plus overrides.

    cfg = load_config("training/configs/stage1_pretrain.yaml", ["optim.lr=1e-3", "run.max_steps=10"])

Values are coerced to the annotated field types (YAML reads ``2e-3`` as a string; ``--set
run.max_steps=10`` arrives as text), unknown keys are errors naming the dotted path, and derived
values (``data.image_folder``, ``model.tokenizer``, ``grad_accum_steps``) are computed in
``__post_init__`` *after* overrides were applied, so they never go stale. ``model.vision`` and
``model.text`` are :class:`llava_ros.model.VisionConfig` / :class:`~llava_ros.model.TextConfig`
themselves, with their own validation.
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from llava_ros.model import TextConfig, VisionConfig
from llava_ros.model.conversation import TEMPLATES
from training.train.placement import DEVICES
from training.train.shift_augment import MAX_SHIFT

LOSS_ON = ("assistant", "all")


@dataclass
class ModelConfig:
    """What to build or load. Which parts train is the stage's business (``stages.py``)."""

    tokenizer: str | None = None  # tokenizer folder; default: init_from, else text.pretrained_path
    init_from: str | None = None  # a llava save_pretrained folder to start from (stage 2 from stage 1)
    vision: VisionConfig = field(default_factory=VisionConfig)  # pretrained_path = a clip-stage output
    projector: str = "linear"  # name in llava_ros.model.projector (linear | mlp2x_gelu | ...)
    text: TextConfig = field(default_factory=TextConfig)  # vocab_size always comes from the tokenizer
    clip_text: dict[str, Any] = field(default_factory=dict)  # clip stage: CLIPTextConfig kwargs
    projection_dim: int = 64  # clip stage: shared image-text embedding size
    patch_phrase_weight: float = 1.0  # clip_dense stage: weight of the patch–phrase loss (patch_phrases.py)
    background_weight: float = 1.0  # clip_dense, tower_phrases: class weight of "table" patches (~95% of all)
    anchor_weight: float = 0.0  # tower_phrases stage: pull of the features towards the starting tower's
    box_unlikelihood: float = 0.0  # llava stages: weight of the copied-box unlikelihood (box_negatives.py)
    after_box_weight: float = 0.0  # llava stages: weight of the extra loss on the token after each box (after_box.py)
    inference_template: str = "vicuna_v1"  # template recorded in the saved llava config

    def __post_init__(self) -> None:
        if self.inference_template not in TEMPLATES:
            raise ValueError(f"inference_template {self.inference_template!r} is not one of {sorted(TEMPLATES)}")
        for name in ("box_unlikelihood", "after_box_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.tokenizer is None:
            self.tokenizer = self.init_from or self.text.pretrained_path


@dataclass
class DataConfig:
    """LLaVA JSON files and how samples are tokenised."""

    train_json: list[str] = field(default_factory=list)  # one or more LLaVA JSON files, concatenated
    image_folder: str | None = None  # default: images/ next to the first JSON (training.data.generate layout)
    template: str = "plain"  # conversation template of the preprocessing (plain | vicuna_v1 | llava_v1)
    max_length: int = 512  # text tokens per sample; longer samples are truncated
    loss_on: str = "assistant"  # "assistant": LLaVA label masking; "all": every token (LM pretraining)
    strip_boxes: bool = False  # clip stage: drop "[x1, y1, x2, y2]" boxes from captions
    shift: int = 0  # llava stages: move each image and its boxes up to this many hundredths (shift_augment)
    shuffle: bool = True
    num_workers: int = 0

    def __post_init__(self) -> None:
        if not self.train_json:
            raise ValueError("train_json is empty; give at least one LLaVA JSON file")
        if self.template not in TEMPLATES:
            raise ValueError(f"template {self.template!r} is not one of {sorted(TEMPLATES)}")
        if self.loss_on not in LOSS_ON:
            raise ValueError(f"loss_on must be one of {LOSS_ON}, got {self.loss_on!r}")
        if self.max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {self.max_length}")
        if self.num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {self.num_workers}")
        if not 0 <= self.shift <= MAX_SHIFT:
            raise ValueError(f"data.shift must be within 0..{MAX_SHIFT} hundredths of the image, got {self.shift}")
        if self.image_folder is None:
            self.image_folder = str(Path(self.train_json[0]).parent / "images")


@dataclass
class OptimConfig:
    """AdamW + learning-rate schedule. ``batch_size`` is the effective (global) batch per optimizer step."""

    lr: float = 2e-3
    weight_decay: float = 0.0  # not applied to biases and norm weights
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    schedule: str = "cosine"  # name in schedule.SCHEDULES
    warmup_ratio: float = 0.03
    max_grad_norm: float = 1.0  # 0 = no clipping
    batch_size: int = 128  # samples per optimizer step, over all processes
    micro_batch_size: int = 8  # samples per forward pass and process
    vision_lr: float | None = None  # peak lr of the vision tower when it trains (stage2_vision); None = lr

    def __post_init__(self) -> None:
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.vision_lr is not None and self.vision_lr <= 0:
            raise ValueError(f"vision_lr must be > 0 (or null for lr), got {self.vision_lr}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.weight_decay < 0 or self.max_grad_norm < 0:
            raise ValueError(f"weight_decay {self.weight_decay} and max_grad_norm {self.max_grad_norm} must be >= 0")
        if self.batch_size < 1 or self.micro_batch_size < 1:
            raise ValueError(f"batch_size {self.batch_size} and micro_batch_size {self.micro_batch_size} must be >= 1")


@dataclass
class RunConfig:
    """Which stage, how long, where to write."""

    stage: str = "stage1"  # name in stages.STAGES
    output_dir: str = "runs/stage1"
    epochs: float = 1.0
    max_steps: int = 0  # optimizer steps; > 0 overrides epochs
    save_every: int = 0  # optimizer steps between checkpoints; 0 = only the final model
    keep_checkpoints: int = 2  # newest checkpoints kept
    log_every: int = 1  # optimizer steps between metrics lines
    seed: int = 0  # model init and data order
    backend: str = "gloo"  # torch.distributed backend under torchrun
    progress: bool = True  # tqdm bar on rank 0
    threads: int = 0  # torch intra-op threads per process; 0 = torch's default
    device: str = "cpu"  # cpu, cuda (each torchrun process takes the GPU of its LOCAL_RANK), or auto

    def __post_init__(self) -> None:
        if self.epochs <= 0 and self.max_steps <= 0:
            raise ValueError(f"need epochs > 0 or max_steps > 0, got epochs={self.epochs}, max_steps={self.max_steps}")
        for name in ("max_steps", "save_every", "keep_checkpoints", "threads"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.log_every < 1:
            raise ValueError(f"log_every must be >= 1, got {self.log_every}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self.device!r}")


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=lambda: DataConfig(train_json=["data/sim/stage1_captions.json"]))
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)
    paper: dict[str, Any] = field(default_factory=dict)  # the paper's values for this stage: documentation only
    world_size: int = field(init=False, default=1)  # derived: WORLD_SIZE set by torchrun
    grad_accum_steps: int = field(init=False, default=1)  # derived: batch / (micro batch × world size)

    def __post_init__(self) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        per_pass = self.optim.micro_batch_size * self.world_size
        if self.optim.batch_size % per_pass:
            raise ValueError(
                f"optim.batch_size {self.optim.batch_size} is not a multiple of optim.micro_batch_size "
                f"{self.optim.micro_batch_size} x world size {self.world_size} = {per_pass}")
        self.grad_accum_steps = self.optim.batch_size // per_pass

    def to_dict(self) -> dict[str, Any]:
        """The init fields (what YAML holds); derived fields are recomputed on load."""
        return {f.name: _plain(_as_dict(getattr(self, f.name))) for f in dataclasses.fields(self) if f.init}


def _as_dict(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def _plain(value: Any) -> Any:
    """Tuples → lists so the dict dumps as plain YAML/JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _coerce(value: Any, tp: Any, path: str) -> Any:
    """``value`` as type ``tp``, or a ValueError naming ``path``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner, path)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, path)
    if tp is bool:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
    elif tp is int:
        number = float(value) if isinstance(value, str) and _is_number(value) else value
        if isinstance(number, (int, float)) and not isinstance(number, bool) and float(number).is_integer():
            return int(number)
    elif tp is float:
        if isinstance(value, str) and _is_number(value):
            return float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    elif origin in (list, tuple):
        items = [value] if isinstance(value, str) and origin is list else value
        if isinstance(items, (list, tuple)):
            if origin is tuple and args and args[-1] is not Ellipsis:
                if len(args) != len(items):
                    raise ValueError(f"{path} needs {len(args)} values, got {len(items)}: {value!r}")
                inner = list(args)
            else:
                inner = [args[0] if args else Any] * len(items)
            out = [_coerce(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(items, inner))]
            return out if origin is list else tuple(out)
    elif origin is dict or tp is dict:
        if isinstance(value, dict):
            return dict(value)
    raise ValueError(f"{path} must be {getattr(tp, '__name__', tp)}, got {value!r}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def from_dict(cls: type, data: Any, path: str = "config") -> Any:
    """Build dataclass ``cls`` from a mapping, recursively; errors name the dotted path."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(f"unknown key(s) {[f'{path}.{k}' for k in unknown]}; {path} has {names}")
    kwargs = {k: _coerce(v, hints[k], f"{path}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Set ``section.key=value`` pairs (values parsed as YAML) into a nested dict, in place."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"override {item!r} is not KEY=VALUE (e.g. optim.lr=1e-3)")
        parts = key.strip().split(".")
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"override {item!r}: {part!r} holds {child!r}, not a section")
            node = child
        node[parts[-1]] = yaml.safe_load(text) if text.strip() else None
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """A TrainConfig from a YAML file (or the defaults) with ``overrides`` applied before validation."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: top level must be a mapping of sections, got {type(data).__name__}")
    apply_overrides(data, list(overrides or []))
    return from_dict(TrainConfig, data)
