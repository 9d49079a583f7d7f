"""Training stages by registered name: which task (model family) each trains and which parameters move.

Stage 1 and stage 2 are the paper's recipe (Liu et al. 2023, section 4.1): feature alignment trains
only the projection W with the vision encoder and the LLM frozen; instruction tuning keeps the
vision encoder frozen and trains the projector and the LLM. ``clip`` and ``llm`` are our
from-scratch substitutes for the CLIP ViT and Vicuna checkpoints we cannot download; they train
every parameter.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

ALL = "*"


@dataclass(frozen=True)
class Stage:
    name: str
    task: str  # name in tasks.TASKS: the model family, its data and its loss
    trainable: tuple[str, ...]  # module-name prefixes whose parameters train; (ALL,) = every parameter
    doc: str = ""


STAGES: dict[str, Stage] = {}


def register_stage(stage: Stage) -> Stage:
    if stage.name in STAGES:
        raise ValueError(f"stage {stage.name!r} is already registered")
    STAGES[stage.name] = stage
    return stage


def get_stage(name: str) -> Stage:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; registered: {sorted(STAGES)}")
    return STAGES[name]


register_stage(Stage("clip", "clip", (ALL,), "contrastive image-caption pretraining of a small CLIP"))
register_stage(Stage("clip_dense", "dense_clip", (ALL,), "contrastive pretraining plus the patch–phrase loss"))
register_stage(Stage("llm", "causal_lm", (ALL,), "text-only causal-LM pretraining of a small Llama"))
register_stage(Stage("stage1", "llava", ("projector",), "feature alignment: only the projector trains"))
register_stage(Stage("stage2", "llava", ("projector", "llm"), "instruction tuning: vision frozen"))
# Not in the paper (its CLIP stays frozen throughout); LLaVA-NeXT and ShareGPT4V later unfreeze the
# tower. Ours was pretrained on captions alone, and a linear probe of its features names shapes no
# better than the model does (training.probe_tower), so the answers' loss is left to reach it.
register_stage(Stage("stage2_vision", "llava", ("vision", "projector", "llm"),
                     "instruction tuning with the vision tower trained too"))
# Not in the paper either: it did not move the probe, so the tower gets the patch labels themselves
# (tower_phrases.py); a stage-2 pass follows.
register_stage(Stage("tower_phrases", "llava_tower", ("vision", "head"),
                     "the vision tower of a LLaVA checkpoint learns each patch's object phrase"))


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return ALL in prefixes or any(name == p or name.startswith(p + ".") for p in prefixes)


def apply_freezing(model: nn.Module, stage: Stage) -> list[str]:
    """Set ``requires_grad`` per the stage; returns the trainable parameter names."""
    names = [n for n, _ in model.named_parameters()]
    missing = [p for p in stage.trainable if p != ALL and not any(_matches(n, (p,)) for n in names)]
    if missing:
        raise ValueError(f"stage {stage.name!r} trains {missing}, which the model lacks; "
                         f"its top-level modules are {sorted({n.split('.')[0] for n in names})}")
    trainable = []
    for name, param in model.named_parameters():
        param.requires_grad_(_matches(name, stage.trainable))
        if param.requires_grad:
            trainable.append(name)
    return trainable
