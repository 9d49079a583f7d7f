"""The perception node's camera buffer: the latest image and the depth/pose closest to it in time.

Thread-safe; callbacks store messages unconverted (cheap), a request takes a :class:`Snapshot`.
Stale frames are never queued: only the newest image is kept, plus a few recent depth images and
poses so the one closest in stamp to that image can be matched.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import CameraInfo, Image

HISTORY = 5  # depth images / poses kept for stamp matching
SYNC_TOLERANCE_S = 0.25  # a depth image or pose further than this from the image's stamp is not used


def stamp_s(msg) -> float:
    return msg.header.stamp.sec + 1e-9 * msg.header.stamp.nanosec


@dataclass
class Snapshot:
    image: Image
    received_s: float  # time.monotonic() when the image arrived
    depth: Image | None
    camera_info: CameraInfo | None
    pose: PoseStamped | None


def _closest(messages, t: float):
    best = min(messages, key=lambda m: abs(stamp_s(m) - t), default=None)
    return best if best is not None and abs(stamp_s(best) - t) <= SYNC_TOLERANCE_S else None


class FrameBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._image: Image | None = None
        self._received_s = 0.0
        self._depths: deque[Image] = deque(maxlen=HISTORY)
        self._poses: deque[PoseStamped] = deque(maxlen=HISTORY)
        self._camera_info: CameraInfo | None = None
        self.image_count = 0

    def set_image(self, msg: Image) -> None:
        with self._lock:
            self._image, self._received_s = msg, time.monotonic()
            self.image_count += 1

    def add_depth(self, msg: Image) -> None:
        with self._lock:
            self._depths.append(msg)

    def add_pose(self, msg: PoseStamped) -> None:
        with self._lock:
            self._poses.append(msg)

    def set_camera_info(self, msg: CameraInfo) -> None:
        with self._lock:
            self._camera_info = msg

    def snapshot(self) -> Snapshot | None:
        """The latest image with its closest depth and pose (None where none is close enough)."""
        with self._lock:
            if self._image is None:
                return None
            t = stamp_s(self._image)
            return Snapshot(self._image, self._received_s, _closest(self._depths, t), self._camera_info,
                            _closest(self._poses, t))
