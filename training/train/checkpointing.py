"""Resumable checkpoints: ``OUTPUT/checkpoints/step_NNNNNNN/``.

- ``model.safetensors``: the full model state (safetensors, never pickle).
- ``optimizer.pt``: optimizer + scheduler state and the torch RNG state. Written by us with
  ``torch.save`` and read back with ``torch.load(weights_only=True)``, which unpickles tensors and
  plain containers only; never point ``--resume`` at a file you did not write.
- ``trainer_state.json``: where the run stands (optimizer step, epoch, micro-batches consumed in
  that epoch), the total step count and world size it was planned with, and the config.

A checkpoint is written into a temporary folder and renamed into place, so a crash mid-write never
leaves a half checkpoint that ``--resume`` would pick.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from llava_ros.model.safetensors_io import WEIGHTS_NAME, load_state_strict, read_safetensors, write_safetensors

CHECKPOINTS = "checkpoints"
OPTIMIZER_NAME = "optimizer.pt"
STATE_NAME = "trainer_state.json"
PREFIX = "step_"


@dataclass
class Position:
    """How far a run got: optimizer steps done, current epoch, micro-batches of it consumed (per rank)."""

    step: int = 0
    epoch: int = 0
    batch: int = 0


def checkpoint_dir(output_dir: str | Path, step: int) -> Path:
    return Path(output_dir) / CHECKPOINTS / f"{PREFIX}{step:07d}"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    root = Path(output_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and (p / STATE_NAME).is_file()]
    return sorted(found, key=lambda p: int(p.name[len(PREFIX):]))


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def save_checkpoint(output_dir: str | Path, model: nn.Module, optimizer: Optimizer, scheduler: LRScheduler,
                    position: Position, meta: dict[str, Any], keep: int = 0) -> Path:
    """Write a checkpoint for ``position.step``; keep the newest ``keep`` (0 = all)."""
    final = checkpoint_dir(output_dir, position.step)
    tmp = final.with_name(f".tmp_{final.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_safetensors(model.state_dict(), tmp / WEIGHTS_NAME)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state()}, tmp / OPTIMIZER_NAME)
    (tmp / STATE_NAME).write_text(json.dumps({**asdict(position), **meta}, indent=1) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    if keep > 0:
        for old in list_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old)
    return final


def read_state(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / STATE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a checkpoint: no {STATE_NAME}")
    return json.loads(path.read_text())


def load_checkpoint(folder: str | Path, model: nn.Module, optimizer: Optimizer,
                    scheduler: LRScheduler) -> tuple[Position, dict[str, Any]]:
    """Restore model, optimizer, scheduler and RNG in place; returns the position and the saved metadata."""
    folder = Path(folder)
    state = read_state(folder)
    load_state_strict(model, read_safetensors(folder / WEIGHTS_NAME), folder)
    training = torch.load(folder / OPTIMIZER_NAME, weights_only=True, map_location="cpu")
    optimizer.load_state_dict(training["optimizer"])
    scheduler.load_state_dict(training["scheduler"])
    torch.set_rng_state(training["torch_rng"])
    position = Position(state["step"], state["epoch"], state["batch"])
    return position, state
