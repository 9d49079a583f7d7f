"""Seeded random layouts: which objects stand where on the table.

``sample_layout(seed)`` is a pure function of the seed: the same seed always gives the same
objects, positions and yaws. Objects keep ``MIN_CLEARANCE`` between their footprints so the open
gripper fits between neighbours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.catalogue import COLOURS, SHAPES, SIZES, ObjectSpec

# Region of the table (world frame, metres) where objects are placed; the robot base is at the origin.
PLACEMENT_X = (0.36, 0.68)
PLACEMENT_Y = (-0.22, 0.22)
MIN_CLEARANCE = 0.065  # metres between footprints: the 2F-85's open fingers need ~4.5 cm + margin
MAX_OBJECTS = 6
_MAX_TRIES = 2000


@dataclass(frozen=True)
class PlacedObject:
    spec: ObjectSpec
    x: float
    y: float
    yaw: float  # radians about world z

    @property
    def label(self) -> str:
        return self.spec.label


@dataclass(frozen=True)
class Layout:
    seed: int
    objects: tuple[PlacedObject, ...]

    def find(self, label: str) -> PlacedObject:
        for obj in self.objects:
            if obj.label == label:
                return obj
        raise KeyError(f"no {label!r} in scene {self.seed}; objects: {[o.label for o in self.objects]}")


def sample_layout(seed: int, n_objects: int | None = None) -> Layout:
    """Draw 1–6 distinct objects (unique colour+shape) at non-overlapping table positions."""
    if n_objects is not None and not 1 <= n_objects <= MAX_OBJECTS:
        raise ValueError(f"n_objects must be in [1, {MAX_OBJECTS}], got {n_objects}")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, MAX_OBJECTS + 1)) if n_objects is None else n_objects
    pairs = [(c, s) for c in COLOURS for s in SHAPES]
    chosen = rng.choice(len(pairs), size=n, replace=False)
    sizes = list(SIZES)
    specs = [ObjectSpec(*pairs[i], sizes[int(rng.integers(len(sizes)))]) for i in chosen]
    placed: list[PlacedObject] = []
    for spec in specs:
        for _ in range(_MAX_TRIES):
            x = float(rng.uniform(*PLACEMENT_X))
            y = float(rng.uniform(*PLACEMENT_Y))
            if all(math.hypot(x - o.x, y - o.y) >= spec.footprint_radius + o.spec.footprint_radius + MIN_CLEARANCE
                   for o in placed):
                placed.append(PlacedObject(spec, x, y, float(rng.uniform(-math.pi / 4, math.pi / 4))))
                break
        else:
            raise RuntimeError(f"seed {seed}: could not place {spec.label} after {_MAX_TRIES} tries")
    return Layout(seed=seed, objects=tuple(placed))
