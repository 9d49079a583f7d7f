"""The fixed front camera: RGB, depth (metres), segmentation, intrinsics and pose.

Conventions (the same as ROS ``sensor_msgs/CameraInfo`` and OpenCV):
- pixel (u, v) = (column, row); the centre of pixel (i, j) has coordinates (i, j);
- intrinsics: fx = fy = (H / 2) / tan(fovy / 2), cx = (W − 1) / 2, cy = (H − 1) / 2;
- the optical frame has x right, y down, z forward; depth is planar z in metres;
- ``rotation_world_from_camera`` maps optical-frame vectors into the world frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np

from sim.scene import TabletopScene

# MuJoCo cameras look along their −z with +y up; flipping y and z gives the optical frame.
_MUJOCO_TO_OPTICAL = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Intrinsics:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_fovy(cls, width: int, height: int, fovy_deg: float) -> "Intrinsics":
        f = (height / 2.0) / math.tan(math.radians(fovy_deg) / 2.0)
        return cls(width, height, f, f, (width - 1) / 2.0, (height - 1) / 2.0)

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])


@dataclass(frozen=True)
class CameraPose:
    position_world: np.ndarray  # (3,)
    rotation_world_from_camera: np.ndarray  # (3, 3), optical axes

    def world_to_camera(self, points_world: np.ndarray) -> np.ndarray:
        return (np.asarray(points_world) - self.position_world) @ self.rotation_world_from_camera

    def camera_to_world(self, points_cam: np.ndarray) -> np.ndarray:
        return np.asarray(points_cam) @ self.rotation_world_from_camera.T + self.position_world


def project(points_cam: np.ndarray, k: Intrinsics) -> np.ndarray:
    """Optical-frame points (N, 3) → pixel coordinates (N, 2)."""
    p = np.atleast_2d(points_cam)
    return np.stack([k.fx * p[:, 0] / p[:, 2] + k.cx, k.fy * p[:, 1] / p[:, 2] + k.cy], axis=1)


def deproject(u: np.ndarray, v: np.ndarray, depth: np.ndarray, k: Intrinsics) -> np.ndarray:
    """Pixels with planar depth → optical-frame points (N, 3)."""
    u, v, z = (np.asarray(a, dtype=float) for a in (u, v, depth))
    return np.stack([(u - k.cx) * z / k.fx, (v - k.cy) * z / k.fy, z], axis=-1)


@dataclass
class Frame:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metres
    segmentation: np.ndarray  # (H, W) int32 geom id, −1 where no geom


class Camera:
    """Renders the scene's front camera headless (``MUJOCO_GL=egl`` or ``osmesa``)."""

    def __init__(self, scene: TabletopScene):
        self.scene = scene
        cfg = scene.cfg
        self.intrinsics = Intrinsics.from_fovy(cfg.width, cfg.height, cfg.fovy_deg)
        self._renderer = mujoco.Renderer(scene.model, height=cfg.height, width=cfg.width)
        self._option = mujoco.MjvOption()

    def close(self) -> None:
        self._renderer.close()

    def __enter__(self) -> "Camera":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def pose(self) -> CameraPose:
        d, cid = self.scene.data, self.scene.camera_id
        rot = d.cam_xmat[cid].reshape(3, 3) @ _MUJOCO_TO_OPTICAL
        return CameraPose(d.cam_xpos[cid].copy(), rot)

    def _update(self, option: mujoco.MjvOption | None = None, data: mujoco.MjData | None = None) -> None:
        self._renderer.update_scene(data if data is not None else self.scene.data,
                                    camera=self.scene.camera_id, scene_option=option or self._option)

    def rgb(self) -> np.ndarray:
        self._update()
        return self._renderer.render().copy()

    def depth(self) -> np.ndarray:
        self._update()
        self._renderer.enable_depth_rendering()
        try:
            return self._renderer.render().astype(np.float32)
        finally:
            self._renderer.disable_depth_rendering()

    def segmentation(self, option: mujoco.MjvOption | None = None,
                     data: mujoco.MjData | None = None) -> np.ndarray:
        """Geom id per pixel (−1: background or a non-geom object)."""
        self._update(option, data)
        self._renderer.enable_segmentation_rendering()
        try:
            seg = self._renderer.render()
        finally:
            self._renderer.disable_segmentation_rendering()
        ids = seg[..., 0].astype(np.int32)
        ids[seg[..., 1] != int(mujoco.mjtObj.mjOBJ_GEOM)] = -1
        return ids

    def frame(self) -> Frame:
        return Frame(self.rgb(), self.depth(), self.segmentation())
