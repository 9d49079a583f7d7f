"""The perception node's camera buffer: the latest images and the depth/pose closest to them in time.

Thread-safe; callbacks store messages unconverted (cheap), a request takes a :class:`Snapshot`.
Stale frames are never queued: a few recent images, depth images and poses are kept so that a
request can be answered about the newest image whose depth (and pose) has arrived too.

Why not simply the newest image: the sim (like most RGB-D drivers) publishes the colour image
first and its depth image just after. A request that lands between the two would pair the new image
with the previous depth image, which on a busy machine (the model saturating the CPU) is more than
``SYNC_TOLERANCE_S`` older, so the answer would have boxes but no 3-D points. :meth:`FrameBuffer.snapshot`
therefore takes the newest image that has its depth (and pose, once poses are published), as long as
that image is still fresh enough for the request and at most ``COMPLETE_WITHIN_S`` older (by stamp) than
the newest image, and the newest image otherwise.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import CameraInfo, Image

HISTORY = 12  # images, depth images, poses kept for stamp matching: 2.4 s at the sim's 5 Hz, longer than the
# image gaps seen on a loaded machine (the newest image 1.4 s older than the newest depth image, whose own
# depth image a 5-deep buffer had already dropped)
SYNC_TOLERANCE_S = 0.25  # a depth image or pose further than this from the image's stamp is not used
COMPLETE_WITHIN_S = 1.0  # an earlier complete frame stands in for the newest image if at most this much older


def stamp_s(msg) -> float:
    return msg.header.stamp.sec + 1e-9 * msg.header.stamp.nanosec


@dataclass
class Snapshot:
    image: Image
    received_s: float  # time.monotonic() when the image arrived
    depth: Image | None
    camera_info: CameraInfo | None
    pose: PoseStamped | None
    depth_note: str = ""  # why ``depth`` is None: which depth image came closest, and when the last arrived


def _nearest(messages, t: float):
    """The message stamped nearest to ``t`` (None when there is none)."""
    return min(messages, key=lambda m: abs(stamp_s(m) - t), default=None)


def _closest(messages, t: float):
    best = _nearest(messages, t)
    return best if best is not None and abs(stamp_s(best) - t) <= SYNC_TOLERANCE_S else None


class FrameBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._images: deque[tuple[Image, float]] = deque(maxlen=HISTORY)  # (image, monotonic arrival)
        self._depths: deque[Image] = deque(maxlen=HISTORY)
        self._poses: deque[PoseStamped] = deque(maxlen=HISTORY)
        self._camera_info: CameraInfo | None = None
        self._depth_arrival_s: float | None = None  # time.monotonic() of the newest depth image
        self.image_count = 0

    def set_image(self, msg: Image) -> None:
        with self._lock:
            self._images.append((msg, time.monotonic()))
            self.image_count += 1

    def add_depth(self, msg: Image) -> None:
        with self._lock:
            self._depths.append(msg)
            self._depth_arrival_s = time.monotonic()

    def add_pose(self, msg: PoseStamped) -> None:
        with self._lock:
            self._poses.append(msg)

    def set_camera_info(self, msg: CameraInfo) -> None:
        with self._lock:
            self._camera_info = msg

    def _snapshot(self, image: Image, received_s: float) -> Snapshot:
        t = stamp_s(image)
        return Snapshot(image, received_s, _closest(self._depths, t), self._camera_info, _closest(self._poses, t))

    def _why_no_depth(self, t: float) -> str:
        """Why no depth image matches an image stamped ``t``, for the node's warning."""
        nearest = _nearest(self._depths, t)
        if nearest is None:
            return "no depth image received yet"
        return (f"no depth image within {SYNC_TOLERANCE_S:.2f} s of the answered image: the nearest is "
                f"{stamp_s(nearest) - t:+.2f} s from it, and the last depth image arrived "
                f"{time.monotonic() - self._depth_arrival_s:.2f} s ago")

    def _complete(self, snap: Snapshot) -> bool:
        """Has every stream that publishes at all a message matching this image?"""
        return (snap.depth is not None or not self._depths) and (snap.pose is not None or not self._poses)

    def snapshot(self, fresh: Callable[[Snapshot], bool] | None = None) -> Snapshot | None:
        """The newest image whose depth and pose have arrived, among those at most ``COMPLETE_WITHIN_S``
        older than the newest image that ``fresh`` accepts (all when None); the newest image (None where a
        stream is not close enough) when none is complete."""
        with self._lock:
            if not self._images:
                return None
            snaps = [self._snapshot(image, received) for image, received in reversed(self._images)]
            newest_s = stamp_s(snaps[0].image)
            chosen = next((s for s in snaps if self._complete(s)
                           and 0.0 <= newest_s - stamp_s(s.image) <= COMPLETE_WITHIN_S
                           and (fresh is None or fresh(s))), snaps[0])
            if chosen.depth is None:
                chosen.depth_note = self._why_no_depth(stamp_s(chosen.image))
            return chosen
