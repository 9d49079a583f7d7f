"""The perception node's camera buffer: which image (and depth/pose) a request is answered about."""
from __future__ import annotations

from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import Image

from llava_ros.ros.frames import SYNC_TOLERANCE_S, FrameBuffer, stamp_s

PERIOD_S = 2 * SYNC_TOLERANCE_S  # frames further apart than the sync tolerance, as on a busy machine


def _stamped(cls, t: float):
    msg = cls()
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(t), int(round((t - int(t)) * 1e9))
    return msg


def _frame(buffer: FrameBuffer, t: float, depth: bool = True, pose: bool = False) -> None:
    buffer.set_image(_stamped(Image, t))
    if depth:
        buffer.add_depth(_stamped(Image, t))
    if pose:
        buffer.add_pose(_stamped(PoseStamped, t))


def test_an_image_whose_depth_has_not_arrived_yields_to_the_previous_complete_frame():
    buffer = FrameBuffer()
    _frame(buffer, 100.0)
    _frame(buffer, 100.0 + PERIOD_S, depth=False)  # the request lands between image and depth
    snap = buffer.snapshot()
    assert stamp_s(snap.image) == 100.0 and stamp_s(snap.depth) == 100.0
    buffer.add_depth(_stamped(Image, 100.0 + PERIOD_S))
    snap = buffer.snapshot()
    assert stamp_s(snap.image) == stamp_s(snap.depth) == 100.0 + PERIOD_S


def test_the_newest_image_without_depth_is_used_when_the_complete_one_is_not_fresh_enough():
    buffer = FrameBuffer()
    _frame(buffer, 100.0)
    _frame(buffer, 100.0 + PERIOD_S, depth=False)
    snap = buffer.snapshot(fresh=lambda s: stamp_s(s.image) > 100.0)
    assert stamp_s(snap.image) == 100.0 + PERIOD_S and snap.depth is None


def test_without_a_depth_stream_the_newest_image_is_used():
    buffer = FrameBuffer()
    assert buffer.snapshot() is None
    _frame(buffer, 100.0, depth=False)
    _frame(buffer, 100.0 + PERIOD_S, depth=False)
    snap = buffer.snapshot()
    assert stamp_s(snap.image) == 100.0 + PERIOD_S and snap.depth is None and snap.pose is None


def test_a_published_pose_must_match_too():
    buffer = FrameBuffer()
    _frame(buffer, 100.0, pose=True)
    _frame(buffer, 100.0 + PERIOD_S, pose=False)  # depth arrived, its pose not yet
    snap = buffer.snapshot()
    assert stamp_s(snap.image) == stamp_s(snap.pose) == 100.0


def test_a_complete_frame_long_before_or_after_the_newest_image_does_not_stand_in_for_it():
    buffer = FrameBuffer()
    _frame(buffer, 100.0)
    _frame(buffer, 100.0 + 4 * PERIOD_S, depth=False)  # a gap in the stream: the old depth is no match
    assert stamp_s(buffer.snapshot().image) == 100.0 + 4 * PERIOD_S
    _frame(buffer, 50.0, depth=False)  # a replayed (older-stamped) image is still the one to answer about
    assert stamp_s(buffer.snapshot().image) == 50.0


def test_a_frame_without_depth_says_how_far_the_nearest_depth_image_is():
    buffer = FrameBuffer()
    buffer.set_image(_stamped(Image, 100.0))
    assert buffer.snapshot().depth_note == "no depth image received yet"
    _frame(buffer, 101.0)
    for k in range(1, 4):  # depth images stop arriving for longer than the complete-frame window
        _frame(buffer, 101.0 + k * PERIOD_S, depth=False)
    snap = buffer.snapshot()
    assert snap.depth is None and stamp_s(snap.image) == 101.0 + 3 * PERIOD_S
    assert snap.depth_note.startswith(f"no depth image within {SYNC_TOLERANCE_S:.2f} s of the answered image: "
                                      f"the nearest is {-3 * PERIOD_S:+.2f} s from it")
    assert "the last depth image arrived" in snap.depth_note
    buffer.add_depth(_stamped(Image, 101.0 + 3 * PERIOD_S))
    assert buffer.snapshot().depth_note == ""


def test_the_newest_image_keeps_its_depth_while_images_pause_and_depth_images_go_on():
    """On a loaded machine the image stream paused for about 1.4 s while depth images kept arriving at 5 Hz
    (closed-loop graph log); the newest image's own depth image must still be in the buffer."""
    buffer = FrameBuffer()
    _frame(buffer, 100.0)
    for k in range(1, 8):
        buffer.add_depth(_stamped(Image, 100.0 + 0.2 * k))
    snap = buffer.snapshot()
    assert stamp_s(snap.image) == 100.0 and snap.depth is not None and stamp_s(snap.depth) == 100.0
