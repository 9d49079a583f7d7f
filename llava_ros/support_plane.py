"""The support plane (the table) in a depth image: RANSAC on deprojected pixels, refined by least squares.

    plane = fit_support_plane(depth_m, intrinsics)      # None when no plane holds enough of the image
    heights = plane.height(points_camera)               # metres above it, > 0 on the camera's side

Tabletop grasping pipelines find objects as what stands on the dominant plane (PCL's tabletop
segmentation is the classic). :mod:`llava_ros.grounding` uses it to tell an object's pixels from
the table around it when a model's box is a little off. Deterministic: the random samples come from
a fixed seed, so one depth image always gives one plane.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRIDE = 4  # fit on every STRIDE-th pixel in both directions
ITERATIONS = 64
TOLERANCE_M = 0.005  # inlier distance
MIN_SHARE = 0.3  # share of the valid pixels the plane must hold to count as the support
MIN_DEPTH_M, MAX_DEPTH_M = 0.05, 20.0


@dataclass(frozen=True)
class Plane:
    normal: np.ndarray  # (3,) unit, optical frame, pointing to the camera's side
    offset: float  # normal · p + offset is the signed distance of p; > 0 for the camera (the origin)

    def height(self, points: np.ndarray) -> np.ndarray:
        """Signed distance (metres) of optical-frame points (..., 3) from the plane; > 0 above it."""
        return np.asarray(points) @ self.normal + self.offset


def deproject(depth: np.ndarray, k, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every ``stride``-th pixel of a planar depth image → optical-frame points (h, w, 3) and a mask
    of the valid ones (finite, within the depth range). ``k`` has ``fx, fy, cx, cy``."""
    z = depth[::stride, ::stride].astype(np.float64)
    v, u = np.mgrid[0:depth.shape[0]:stride, 0:depth.shape[1]:stride]
    valid = np.isfinite(z) & (z > MIN_DEPTH_M) & (z < MAX_DEPTH_M)
    z = np.where(valid, z, 0.0)
    return np.stack([(u - k.cx) * z / k.fx, (v - k.cy) * z / k.fy, z], axis=-1), valid


def fit_support_plane(depth: np.ndarray, k, seed: int = 0) -> Plane | None:
    """The plane holding the most pixels (within ``TOLERANCE_M``), or None when it holds fewer than
    ``MIN_SHARE`` of the valid ones."""
    points, valid = deproject(depth, k, STRIDE)
    points = points[valid]
    if len(points) < 3:
        return None
    rng = np.random.default_rng(seed)
    a, b, c = points[rng.integers(0, len(points), size=(3, ITERATIONS))]  # one random triple per hypothesis
    normals = np.cross(b - a, c - a)
    norms = np.linalg.norm(normals, axis=1)
    keep = norms > 1e-12  # a triple with a repeated or collinear point spans no plane
    if not keep.any():
        return None
    normals = normals[keep] / norms[keep, None]
    offsets = -np.einsum("ij,ij->i", normals, a[keep])
    counts = np.count_nonzero(np.abs(points @ normals.T + offsets) < TOLERANCE_M, axis=0)
    best = int(np.argmax(counts))  # the first of equal counts, so the result is deterministic
    if counts[best] < MIN_SHARE * len(points):
        return None
    normal, offset = normals[best], offsets[best]
    inliers = points[np.abs(points @ normal + offset) < TOLERANCE_M]
    centre = inliers.mean(axis=0)
    normal = np.linalg.svd(inliers - centre, full_matrices=False)[2][2]  # least-squares normal
    offset = -float(normal @ centre)
    return Plane(normal, offset) if offset > 0 else Plane(-normal, -offset)
