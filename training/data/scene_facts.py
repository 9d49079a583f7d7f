"""What a teacher may say about a scene, derived from its ground truth (``scene.json``).

Conventions (shared with :mod:`sim.captions`):
- only *visible* objects (a non-null ``bbox_xyxy``) are "in the image"; they are counted,
  described and named with their box;
- left / right are the image's: a smaller / larger box-centre column u;
- in front of / behind are nearer to / farther from the camera: camera-frame depth of the
  object's centre (from ``position_world`` and the camera pose);
- distance to the robot is measured on the table plane from the robot base (world origin,
  see :mod:`sim.scene`), which stands on the far side of the table, at the top of the image.

Relations are only stated with a clear margin (``*_MARGIN``): a pair closer than that is
"ambiguous" (``None``) and teachers do not ask about it.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sim.captions import count_word, join_phrases, visible_objects
from sim.catalogue import COLOURS, SHAPES, ObjectSpec
from llava_ros.boxes import format_box

LEFT_RIGHT_MARGIN = 0.05  # fraction of the image width between box centres
DEPTH_MARGIN_M = 0.04  # camera-frame depth difference, metres
ROBOT_DISTANCE_MARGIN_M = 0.03
HEIGHT_MARGIN_M = 0.006

__all__ = ["SceneFacts", "SceneObject", "count_word", "join_phrases"]


@dataclass(frozen=True)
class SceneObject:
    label: str
    colour: str
    shape: str
    size: str
    bbox_px: tuple[int, int, int, int] | None
    box: str | None  # the box in the fixed answer syntax, None if not visible
    u: float | None  # box-centre column, pixels
    depth_m: float  # camera-frame depth of the centre
    robot_distance_m: float  # table-plane distance from the robot base
    height_m: float
    visible_fraction: float

    @property
    def visible(self) -> bool:
        return self.box is not None

    def named(self) -> str:
        """``"red cube [0.41, 0.52, 0.49, 0.61]"`` (the label alone if not visible)."""
        return f"{self.label} {self.box}" if self.visible else self.label

    def ref(self) -> str:
        """``"the red cube [0.41, 0.52, 0.49, 0.61]"``."""
        return "the " + self.named()

    def described(self) -> str:
        """``"a large red cube [0.41, ...]"``."""
        return ("an " if self.size[0] in "aeiou" else "a ") + f"{self.size} {self.named()}"


def unique_min(objects: list[SceneObject], key, margin: float) -> SceneObject | None:
    """The object with the smallest ``key``, or None if there is none or the runner-up is within ``margin``."""
    ranked = sorted(objects, key=key)
    if not ranked or (len(ranked) > 1 and key(ranked[1]) - key(ranked[0]) < margin):
        return None
    return ranked[0]


def _depth(position: list[float], camera: dict) -> float:
    rot = camera["rotation_world_from_camera"]
    offset = [p - c for p, c in zip(position, camera["position_world"])]
    return sum(offset[i] * rot[i][2] for i in range(3))


class SceneFacts:
    """The objects of one scene with the derived quantities teachers need."""

    def __init__(self, truth: dict):
        camera = truth["camera"]
        self.width, self.height = int(camera["width"]), int(camera["height"])
        visible_labels = {o["label"] for o in visible_objects(truth)}
        self.objects: list[SceneObject] = []
        for o in truth["objects"]:
            bbox = o["bbox_xyxy"] if o["label"] in visible_labels else None
            x, y, _ = o["position_world"]
            self.objects.append(SceneObject(
                label=o["label"], colour=o["colour"], shape=o["shape"], size=o["size"],
                bbox_px=tuple(bbox) if bbox else None,
                box=format_box(bbox, self.width, self.height) if bbox else None,
                u=0.5 * (bbox[0] + bbox[2]) if bbox else None,
                depth_m=_depth(o["position_world"], camera),
                robot_distance_m=math.hypot(x, y),
                height_m=ObjectSpec(o["colour"], o["shape"], o["size"]).height,
                visible_fraction=float(o["visible_fraction"])))
        self.visible = [o for o in self.objects if o.visible]

    def find(self, label: str) -> SceneObject:
        for obj in self.objects:
            if obj.label == label:
                return obj
        raise KeyError(f"no {label!r} in scene; objects: {[o.label for o in self.objects]}")

    def matching(self, colour: str | None = None, shape: str | None = None,
                 size: str | None = None) -> list[SceneObject]:
        """Visible objects with the given attributes (None matches any)."""
        return [o for o in self.visible if (colour is None or o.colour == colour)
                and (shape is None or o.shape == shape) and (size is None or o.size == size)]

    def absent_labels(self) -> list[str]:
        """Catalogue labels of objects that are not in the scene at all."""
        present = {o.label for o in self.objects}
        return [f"{c} {s}" for c in COLOURS for s in SHAPES if f"{c} {s}" not in present]

    def left_to_right(self) -> list[SceneObject]:
        return sorted(self.visible, key=lambda o: o.u)

    @staticmethod
    def by_colour(objects: list[SceneObject]) -> list[tuple[str, list[SceneObject]]]:
        """``objects`` under every catalogue colour (:data:`COLOURS` order), empty colours included, in their
        given order within each."""
        return [(c, [o for o in objects if o.colour == c]) for c in COLOURS]

    def reading_order(self, objects: list[SceneObject], rng: random.Random) -> list[SceneObject]:
        """``objects`` left to right, except that two neighbours too close for :meth:`left_of` to order
        (box centres less than LEFT_RIGHT_MARGIN of the width apart) come in either order, by a coin from
        ``rng``. A listing in strict pixel order teaches that the next object is the one just right of the
        last; an answer
        that names the right one of a near-tied pair first then never goes back for the left one (7 of
        v29's 12 wrong listings of all objects on training scenes; docs/grounding.md, v30)."""
        ordered = sorted(objects, key=lambda o: o.u)
        i = 0
        while i + 1 < len(ordered):
            if self.left_of(ordered[i], ordered[i + 1]) is None and rng.random() < 0.5:  # too close to say
                ordered[i], ordered[i + 1] = ordered[i + 1], ordered[i]
                i += 1
            i += 1
        return ordered

    # Relations: True / False, or None when the margin is too small to say.
    def left_of(self, a: SceneObject, b: SceneObject) -> bool | None:
        d = (b.u - a.u) / self.width
        return None if abs(d) < LEFT_RIGHT_MARGIN else d > 0

    def in_front_of(self, a: SceneObject, b: SceneObject) -> bool | None:
        d = b.depth_m - a.depth_m
        return None if abs(d) < DEPTH_MARGIN_M else d > 0

    def taller(self, a: SceneObject, b: SceneObject) -> bool | None:
        d = a.height_m - b.height_m
        return None if abs(d) < HEIGHT_MARGIN_M else d > 0

    def closest_to_robot(self) -> SceneObject | None:
        """The visible object nearest the robot base, if it is nearest by a clear margin."""
        return unique_min(self.visible, lambda o: o.robot_distance_m, ROBOT_DISTANCE_MARGIN_M)

    def nearest_to_camera(self) -> SceneObject | None:
        return unique_min(self.visible, lambda o: o.depth_m, DEPTH_MARGIN_M)

    def farthest_from_camera(self) -> SceneObject | None:
        return unique_min(self.visible, lambda o: -o.depth_m, DEPTH_MARGIN_M)

    def tallest(self) -> SceneObject | None:
        return unique_min(self.visible, lambda o: -o.height_m, HEIGHT_MARGIN_M)

    def unique_reference(self, obj: SceneObject) -> str | None:
        """Shortest attribute phrase that singles ``obj`` out among visible objects without naming
        its colour and shape together ("cube", "large cube", "red object"), or None."""
        for attrs in ({"shape": obj.shape}, {"colour": obj.colour},
                      {"size": obj.size, "shape": obj.shape}, {"size": obj.size, "colour": obj.colour}):
            if len(self.matching(**attrs)) == 1:
                words = [attrs.get("size"), attrs.get("colour"), attrs.get("shape") or "object"]
                return " ".join(w for w in words if w)
        return None
