"""Symbolic ground truth of a rendered scene, written as ``scene.json``.

This is the "symbolic context" the LLaVA paper gave its text-only teacher (captions + boxes), made
exact by the simulator. Schema::

    {"seed": int,
     "objects": [{"label", "colour", "shape", "size",
                  "bbox_xyxy": [x1, y1, x2, y2] | null,   # pixels; x2, y2 exclusive; null if not visible
                  "position_world": [x, y, z],              # geometric centre, metres
                  "visible_fraction": float}],              # visible pixels / pixels if unoccluded
     "camera": {"width", "height", "fx", "fy", "cx", "cy",
                "position_world": [x, y, z],
                "rotation_world_from_camera": 3×3 (optical axes: x right, y down, z forward)},
     "captions": [str, ...]}
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import mujoco
import numpy as np

from sim.camera import Camera, Frame
from sim.captions import reference_captions
from sim.scene import OBJECT_GROUP, TabletopScene

_AWAY = np.array([0.0, 0.0, -10.0])


def bbox_from_mask(mask: np.ndarray) -> list[int] | None:
    """Tight pixel box ``[x1, y1, x2, y2]`` (x2, y2 exclusive) of a boolean mask, or None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def unoccluded_pixel_counts(scene: TabletopScene, camera: Camera) -> list[int]:
    """Pixels each object would cover with every other geom (robot, other objects) out of view."""
    option = mujoco.MjvOption()
    option.geomgroup[:] = 0
    option.geomgroup[OBJECT_GROUP] = 1
    scratch = mujoco.MjData(scene.model)
    counts = []
    for i, geom in enumerate(scene.object_geoms):
        scratch.qpos[:] = scene.data.qpos
        for j, body in enumerate(scene.object_bodies):
            if j != i:
                adr = scene.model.jnt_qposadr[scene.model.body_jntadr[body]]
                scratch.qpos[adr:adr + 3] += _AWAY
        mujoco.mj_forward(scene.model, scratch)
        counts.append(int((camera.segmentation(option, scratch) == geom).sum()))
    return counts


def scene_ground_truth(scene: TabletopScene, camera: Camera, frame: Frame) -> dict:
    k = camera.intrinsics
    pose = camera.pose()
    full = unoccluded_pixel_counts(scene, camera)
    objects = []
    for i, placed in enumerate(scene.layout.objects):
        mask = frame.segmentation == scene.object_geoms[i]
        visible = int(mask.sum())
        objects.append({
            "label": placed.label,
            "colour": placed.spec.colour,
            "shape": placed.spec.shape,
            "size": placed.spec.size,
            "bbox_xyxy": bbox_from_mask(mask),
            "position_world": [round(float(c), 5) for c in scene.object_centre(i)],
            "visible_fraction": round(visible / full[i], 4) if full[i] else 0.0,
        })
    camera_info = {
        "width": k.width, "height": k.height, "fx": k.fx, "fy": k.fy, "cx": k.cx, "cy": k.cy,
        "position_world": [float(c) for c in pose.position_world],
        "rotation_world_from_camera": pose.rotation_world_from_camera.tolist(),
    }
    truth = {"seed": scene.layout.seed, "objects": objects, "camera": camera_info}
    truth["captions"] = reference_captions(truth)
    return truth


def write_scene(out_dir: str | Path, frame: Frame, truth: dict) -> dict[str, Path]:
    """Write ``rgb.png``, ``depth.npy`` and ``scene.json`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"rgb": out / "rgb.png", "depth": out / "depth.npy", "scene": out / "scene.json"}
    if not cv2.imwrite(str(paths["rgb"]), cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {paths['rgb']}")
    np.save(paths["depth"], frame.depth)
    paths["scene"].write_text(json.dumps(truth, indent=2) + "\n")
    return paths
