"""The object catalogue: colours × shapes × sizes, and the label every other part uses.

A label is ``"<colour> <shape>"`` ("red cube"). Layouts never repeat a (colour, shape) pair, so a
label names exactly one object in a scene; the size is an attribute, not part of the label.
Dimensions are in metres; ``half_height`` is the distance from the object's origin to the table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.86, 0.10, 0.10),
    "green": (0.10, 0.68, 0.18),
    "blue": (0.12, 0.28, 0.92),
    "yellow": (0.96, 0.84, 0.08),
    "purple": (0.56, 0.18, 0.78),
    "orange": (1.00, 0.50, 0.04),
}
SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder", "cone")
SIZES: dict[str, float] = {"small": 1.0, "large": 1.35}

# Base dimensions at scale 1.0 (metres).
_CUBE_HALF = 0.020
_SPHERE_RADIUS = 0.022
_CYLINDER_RADIUS, _CYLINDER_HALF_HEIGHT = 0.020, 0.025
_CONE_RADIUS, _CONE_HEIGHT = 0.025, 0.055
CONE_SEGMENTS = 24
OBJECT_MASS_KG = 0.06


@dataclass(frozen=True)
class ObjectSpec:
    """One catalogue entry."""

    colour: str
    shape: str
    size: str

    def __post_init__(self) -> None:
        if self.colour not in COLOURS:
            raise ValueError(f"unknown colour {self.colour!r}; known: {sorted(COLOURS)}")
        if self.shape not in SHAPES:
            raise ValueError(f"unknown shape {self.shape!r}; known: {list(SHAPES)}")
        if self.size not in SIZES:
            raise ValueError(f"unknown size {self.size!r}; known: {sorted(SIZES)}")

    @property
    def label(self) -> str:
        return f"{self.colour} {self.shape}"

    @property
    def rgba(self) -> tuple[float, float, float, float]:
        return (*COLOURS[self.colour], 1.0)

    @property
    def scale(self) -> float:
        return SIZES[self.size]

    @property
    def half_height(self) -> float:
        """Height of the object's origin above the table surface when it rests upright."""
        s = self.scale
        return {
            "cube": _CUBE_HALF * s,
            "sphere": _SPHERE_RADIUS * s,
            "cylinder": _CYLINDER_HALF_HEIGHT * s,
            "cone": 0.0,  # the cone mesh has its origin at the centre of its base
        }[self.shape]

    @property
    def height(self) -> float:
        s = self.scale
        return {
            "cube": 2 * _CUBE_HALF * s,
            "sphere": 2 * _SPHERE_RADIUS * s,
            "cylinder": 2 * _CYLINDER_HALF_HEIGHT * s,
            "cone": _CONE_HEIGHT * s,
        }[self.shape]

    @property
    def footprint_radius(self) -> float:
        """Radius of the smallest vertical cylinder around the object (for spacing)."""
        s = self.scale
        return {
            "cube": _CUBE_HALF * s * 2**0.5,
            "sphere": _SPHERE_RADIUS * s,
            "cylinder": _CYLINDER_RADIUS * s,
            "cone": _CONE_RADIUS * s,
        }[self.shape]

    @property
    def grasp_height(self) -> float:
        """Height above the table at which the fingers should close."""
        if self.shape == "cone":
            return 0.35 * self.height
        return 0.5 * self.height

    def geom_size(self) -> tuple[float, float, float]:
        """MuJoCo ``size`` for the primitive (unused entries are zero); cones are meshes."""
        s = self.scale
        return {
            "cube": (_CUBE_HALF * s,) * 3,
            "sphere": (_SPHERE_RADIUS * s, 0.0, 0.0),
            "cylinder": (_CYLINDER_RADIUS * s, _CYLINDER_HALF_HEIGHT * s, 0.0),
            "cone": (0.0, 0.0, 0.0),
        }[self.shape]

    def cone_vertices(self) -> list[float]:
        """Flat vertex list of the cone's convex hull: a base circle and an apex."""
        s = self.scale
        verts: list[float] = []
        for k in range(CONE_SEGMENTS):
            a = 2 * math.pi * k / CONE_SEGMENTS
            verts += [_CONE_RADIUS * s * math.cos(a), _CONE_RADIUS * s * math.sin(a), 0.0]
        verts += [0.0, 0.0, _CONE_HEIGHT * s]
        return verts


def all_specs() -> list[ObjectSpec]:
    """Every catalogue entry, in a fixed order."""
    return [ObjectSpec(c, sh, sz) for c in COLOURS for sh in SHAPES for sz in SIZES]
