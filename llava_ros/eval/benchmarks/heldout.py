"""What the held-out sim benchmarks share: seeds >= 1,000,000,000, rendering, and the predict options.

A subclass sets ``name`` (by registering) and implements ``scene_items(seed, truth, image)``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from tqdm import tqdm

from sim.camera import Camera
from sim.ground_truth import scene_ground_truth
from sim.layout import sample_layout
from sim.scene import SceneConfig, TabletopScene
from sim.seeds import HELDOUT_SEED_START, parse_seed_range


def require_seeds(args) -> range:
    """The held-out ``--seeds A:B`` of a predict command, or a clear error."""
    if not getattr(args, "seeds", None):
        raise ValueError(f"benchmark {args.bench!r} needs --seeds A:B (held-out seeds >= {HELDOUT_SEED_START})")
    seeds = parse_seed_range(args.seeds)
    if seeds.start < HELDOUT_SEED_START:
        raise ValueError(f"evaluation uses held-out seeds >= {HELDOUT_SEED_START}; got {args.seeds}")
    return seeds


def render_truth(seed: int, width: int = 336, height: int = 336) -> tuple[np.ndarray, dict]:
    """The front camera's RGB image of ``seed``'s layout and its ground truth (``scene.json`` schema)."""
    scene = TabletopScene(sample_layout(seed), SceneConfig(width=width, height=height))
    with Camera(scene) as camera:
        frame = camera.frame()
        return frame.rgb, scene_ground_truth(scene, camera, frame)


def render_scene(seed: int, images_dir: Path, width: int = 336, height: int = 336) -> dict:
    """Render held-out ``seed`` to ``images_dir/<seed>.png`` (+ ``<seed>.scene.json``); return its ground truth."""
    images_dir.mkdir(parents=True, exist_ok=True)
    rgb, truth = render_truth(seed, width, height)
    cv2.imwrite(str(images_dir / f"{seed}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (images_dir / f"{seed}.scene.json").write_text(json.dumps(truth))
    return truth


def rendered_items(seeds: range, run_dir: Path, scene_items: Callable[[int, dict, str], list[dict]],
                   width: int = 336, height: int = 336, progress: bool = True, desc: str = "rendering held-out scenes"
                   ) -> list[dict]:
    """Render every seed into ``run_dir/images`` and return ``scene_items(seed, truth, image)`` of each, in order."""
    items = []
    for seed in tqdm(seeds, desc=desc, disable=not progress):
        truth = render_scene(seed, run_dir / "images", width, height)
        items.extend(scene_items(seed, truth, f"images/{seed}.png"))
    return items


class HeldoutSceneBenchmark:
    """Questions about rendered held-out scenes; subclasses say which questions."""

    name: str

    def __init__(self, seeds: range, width: int = 336, height: int = 336):
        if seeds.start < HELDOUT_SEED_START:
            raise ValueError(f"{self.name} uses held-out seeds >= {HELDOUT_SEED_START}; got {seeds.start}:{seeds.stop}")
        self.seeds, self.width, self.height = seeds, width, height

    @classmethod
    def from_args(cls, args) -> "HeldoutSceneBenchmark":
        """Built from ``llava-ros eval predict`` options (``--seeds``)."""
        return cls(require_seeds(args))

    def options(self) -> dict:
        return {"seeds": f"{self.seeds.start}:{self.seeds.stop}", "width": self.width, "height": self.height}

    def items(self, run_dir: Path, progress: bool = True) -> list[dict]:
        """Render every seed into ``run_dir/images`` and return its questions."""
        return rendered_items(self.seeds, run_dir, self.scene_items, self.width, self.height, progress)

    def scene_items(self, seed: int, truth: dict, image: str) -> list[dict]:
        raise NotImplementedError
