"""A strip of frames (e.g. a grasp rollout) saved as one PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def save_strip(frames: list[np.ndarray], path: str | Path, max_frames: int = 8) -> Path:
    """Tile up to ``max_frames`` evenly spaced RGB frames left to right into ``path``."""
    if not frames:
        raise ValueError("no frames to save")
    idx = np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int)
    strip = np.concatenate([frames[i] for i in idx], axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path
