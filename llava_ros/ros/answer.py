"""The perception node's grounding step: answer text + camera messages → ``GroundedObject`` messages.

A pure function of its inputs (no node state), so tests can feed it messages received from the sim:

    objects, notes = ground_answer(text, image.header, image.width, image.height,
                                   depth_msg, camera_info_msg, pose_msg, world_frame="world")

Objects always get their pixel boxes. They get a 3-D point (``position_valid``) only when depth and
camera info match the answered image; the point is in ``world_frame`` when the camera pose is given
(in that frame) and in the image's optical frame otherwise. ``notes`` says why positions are missing.
"""
from __future__ import annotations

from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from llava_ros import grounding
from llava_ros.ros.conversions import (camera_info_to_intrinsics, grounded_object_msg, image_to_depth,
                                       pose_to_rt)
from llava_ros_interfaces.msg import GroundedObject


def ground_answer(answer: str, image_header: Header, width: int, height: int,
                  depth: Image | None = None, camera_info: CameraInfo | None = None,
                  pose: PoseStamped | None = None, world_frame: str = "world",
                  camera_frame: str | None = None, no_depth_note: str = ""
                  ) -> tuple[list[GroundedObject], list[str]]:
    """Ground the boxes of ``answer`` (an answer about a ``width`` × ``height`` image); see the module doc.
    ``no_depth_note``: why ``depth`` is None, for ``notes`` (default: "no depth image")."""
    camera_frame = camera_frame or image_header.frame_id
    notes: list[str] = []
    depth_m = intrinsics = world_from_camera = None
    if depth is None:
        notes.append(no_depth_note or "no depth image")
    elif camera_info is None:
        notes.append("no camera info")
    elif (camera_info.width, camera_info.height) not in ((width, height), (0, 0)):
        notes.append(f"camera info is for {camera_info.width}x{camera_info.height} images, "
                     f"the answered image is {width}x{height}")
    else:
        try:
            depth_m = image_to_depth(depth)
            intrinsics = camera_info_to_intrinsics(camera_info)
            if depth_m.shape != (height, width):
                raise ValueError(f"depth image is {depth_m.shape[1]}x{depth_m.shape[0]}, "
                                 f"the answered image is {width}x{height}")
        except ValueError as err:
            notes.append(f"bad depth or camera info: {err}")
            depth_m = intrinsics = None
    if intrinsics is not None and pose is not None:
        if pose.header.frame_id not in ("", world_frame):
            notes.append(f"camera pose is in frame {pose.header.frame_id!r}, not {world_frame!r}; "
                         f"points stay in {camera_frame!r}")
        else:
            try:
                world_from_camera = pose_to_rt(pose.pose)
            except ValueError as err:
                notes.append(f"bad camera pose: {err}")
    objects = grounding.ground(answer, width, height, depth_m, intrinsics, world_from_camera)
    if depth_m is not None:
        notes += [f"no valid depth in the box of {o.label!r}" for o in objects if not o.position_valid]
    msgs = [grounded_object_msg(o, image_header.stamp, camera_frame, world_frame) for o in objects]
    return msgs, notes
