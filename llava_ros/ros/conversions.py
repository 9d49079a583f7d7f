"""ROS messages ↔ numpy: images, depth, camera info, poses; answer and RViz marker builders.

Images: ``rgb8``, ``bgr8``, ``mono8``, ``rgba8``, ``bgra8`` read as (H, W, 3) uint8 RGB; depth
``32FC1`` (metres) and ``16UC1`` (millimetres) read as (H, W) float32 metres with NaN where invalid
(0 in ``16UC1``, non-finite or ≤ 0 in ``32FC1``). Every malformed message raises ``ValueError``
naming the problem: "unknown encoding 'yuv422'", "step 100 < width*channels 120", "data has 10
bytes, expected 57600", "empty image", "image 10000x10000 exceeds the 4096 px limit".
"""
from __future__ import annotations

import cv2
import numpy as np
from geometry_msgs.msg import Point, PointStamped, Pose, PoseStamped, Quaternion
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from visualization_msgs.msg import Marker, MarkerArray

from llava_ros import grounding
from llava_ros_interfaces.msg import GroundedObject, SceneAnswer

MAX_SIDE_PX = 4096
# encoding → (dtype, channels)
ENCODINGS: dict[str, tuple[np.dtype, int]] = {
    "rgb8": (np.dtype(np.uint8), 3), "bgr8": (np.dtype(np.uint8), 3), "mono8": (np.dtype(np.uint8), 1),
    "rgba8": (np.dtype(np.uint8), 4), "bgra8": (np.dtype(np.uint8), 4),
    "32FC1": (np.dtype(np.float32), 1), "16UC1": (np.dtype(np.uint16), 1),
}
COLOUR_ENCODINGS = ("rgb8", "bgr8", "mono8", "rgba8", "bgra8")
DEPTH_ENCODINGS = ("32FC1", "16UC1")
_TO_RGB = {"bgr8": cv2.COLOR_BGR2RGB, "mono8": cv2.COLOR_GRAY2RGB, "rgba8": cv2.COLOR_RGBA2RGB,
           "bgra8": cv2.COLOR_BGRA2RGB}
_FROM_RGB = {"bgr8": cv2.COLOR_RGB2BGR, "mono8": cv2.COLOR_RGB2GRAY, "rgba8": cv2.COLOR_RGB2RGBA,
             "bgra8": cv2.COLOR_RGB2BGRA}


# ---- images -------------------------------------------------------------------------------------

def image_to_array(msg: Image) -> np.ndarray:
    """The pixels of ``msg`` as (H, W, C) (C = 1 squeezed to (H, W)) in its encoding's native dtype."""
    if msg.encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {msg.encoding!r}; supported: {', '.join(ENCODINGS)}")
    dtype, channels = ENCODINGS[msg.encoding]
    width, height, step = int(msg.width), int(msg.height), int(msg.step)
    if width == 0 or height == 0:
        raise ValueError(f"empty image ({width}x{height})")
    if max(width, height) > MAX_SIDE_PX:
        raise ValueError(f"image {width}x{height} exceeds the {MAX_SIDE_PX} px limit")
    row = width * channels * dtype.itemsize
    if step < row:
        unit = "width*channels" if dtype.itemsize == 1 else f"width*channels*{dtype.itemsize} bytes"
        raise ValueError(f"step {step} < {unit} {row}")
    if len(msg.data) != step * height:
        raise ValueError(f"data has {len(msg.data)} bytes, expected {step * height} (step {step} x height {height})")
    raw = np.frombuffer(msg.data, dtype=np.uint8).reshape(height, step)[:, :row]
    order = ">" if msg.is_bigendian else "<"
    pixels = np.ascontiguousarray(raw).view(dtype.newbyteorder(order)).astype(dtype)
    return pixels.reshape(height, width) if channels == 1 else pixels.reshape(height, width, channels)


def image_to_rgb(msg: Image) -> np.ndarray:
    """A colour (or mono) image message → (H, W, 3) uint8 RGB."""
    if msg.encoding in DEPTH_ENCODINGS:
        raise ValueError(f"encoding {msg.encoding!r} is a depth image, not a colour image")
    pixels = image_to_array(msg)
    code = _TO_RGB.get(msg.encoding)
    return pixels if code is None else cv2.cvtColor(pixels, code)


def image_to_depth(msg: Image) -> np.ndarray:
    """A ``32FC1`` (metres) or ``16UC1`` (millimetres) image → (H, W) float32 metres, NaN where invalid."""
    if msg.encoding not in DEPTH_ENCODINGS:
        if msg.encoding in ENCODINGS:
            raise ValueError(f"encoding {msg.encoding!r} is not a depth image; expected 32FC1 or 16UC1")
        image_to_array(msg)  # raises "unknown encoding ..."
    pixels = image_to_array(msg)
    if msg.encoding == "16UC1":
        depth = pixels.astype(np.float32) / 1000.0
        depth[pixels == 0] = np.nan
        return depth
    depth = pixels.astype(np.float32, copy=True)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth


def array_to_image(pixels: np.ndarray, encoding: str, header: Header | None = None) -> Image:
    """Pixels already laid out for ``encoding`` ((H, W) or (H, W, C), its dtype) → ``Image``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; supported: {', '.join(ENCODINGS)}")
    dtype, channels = ENCODINGS[encoding]
    pixels = np.asarray(pixels)
    expected = pixels.shape[:2] + ((channels,) if channels > 1 else ())
    if pixels.dtype != dtype or pixels.shape != expected:
        raise ValueError(f"{encoding} needs an array of shape (H, W{', %d' % channels if channels > 1 else ''}) "
                         f"and dtype {dtype}, got {pixels.shape} {pixels.dtype}")
    height, width = pixels.shape[:2]
    msg = Image(header=header or Header(), height=height, width=width, encoding=encoding,
                is_bigendian=0, step=width * channels * dtype.itemsize)
    msg.data = np.ascontiguousarray(pixels, dtype=dtype.newbyteorder("<")).tobytes()
    return msg


def rgb_to_image(rgb: np.ndarray, encoding: str = "rgb8", header: Header | None = None) -> Image:
    """(H, W, 3) uint8 RGB → an ``Image`` in a colour ``encoding``."""
    if encoding not in COLOUR_ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not a colour encoding; use one of {COLOUR_ENCODINGS}")
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
    code = _FROM_RGB.get(encoding)
    return array_to_image(rgb if code is None else cv2.cvtColor(rgb, code), encoding, header)


def depth_to_image(depth_m: np.ndarray, encoding: str = "32FC1", header: Header | None = None) -> Image:
    """(H, W) metres → ``32FC1`` (NaN kept) or ``16UC1`` (millimetres, 0 where invalid)."""
    depth = np.asarray(depth_m, dtype=np.float32)
    if encoding == "32FC1":
        return array_to_image(depth, encoding, header)
    if encoding == "16UC1":
        valid = np.isfinite(depth) & (depth > 0)
        mm = np.where(valid, np.clip(np.rint(depth * 1000.0), 0, 65535), 0).astype(np.uint16)
        return array_to_image(mm, encoding, header)
    raise ValueError(f"encoding {encoding!r} is not a depth encoding; use 32FC1 or 16UC1")


# ---- camera info and poses ----------------------------------------------------------------------

def camera_info_to_intrinsics(msg: CameraInfo) -> grounding.PinholeIntrinsics:
    """Pinhole intrinsics from ``CameraInfo.k`` (raises on a zero/negative focal length)."""
    return grounding.PinholeIntrinsics.from_k(msg.k)


def intrinsics_to_camera_info(width: int, height: int, fx: float, fy: float, cx: float, cy: float,
                              header: Header | None = None) -> CameraInfo:
    """An undistorted pinhole ``CameraInfo`` (OpenCV convention: K, P, identity R, zero plumb_bob D)."""
    return CameraInfo(header=header or Header(), width=int(width), height=int(height),
                      distortion_model="plumb_bob", d=[0.0] * 5,
                      k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0],
                      r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                      p=[fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0])


def quaternion_to_matrix(q: Quaternion) -> np.ndarray:
    """Unit quaternion (x, y, z, w; normalised here) → 3×3 rotation; ValueError if it is zero or non-finite."""
    v = np.array([q.w, q.x, q.y, q.z], dtype=float)
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm < 1e-9:
        raise ValueError(f"orientation quaternion {v.tolist()} (w, x, y, z) is zero or not finite")
    w, x, y, z = v / norm
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def matrix_to_quaternion(rotation: np.ndarray) -> Quaternion:
    """3×3 rotation → ``Quaternion`` (w ≥ 0)."""
    m = np.asarray(rotation, dtype=float)
    w = 0.5 * np.sqrt(max(0.0, 1 + m[0, 0] + m[1, 1] + m[2, 2]))
    x = 0.5 * np.copysign(np.sqrt(max(0.0, 1 + m[0, 0] - m[1, 1] - m[2, 2])), m[2, 1] - m[1, 2])
    y = 0.5 * np.copysign(np.sqrt(max(0.0, 1 - m[0, 0] + m[1, 1] - m[2, 2])), m[0, 2] - m[2, 0])
    z = 0.5 * np.copysign(np.sqrt(max(0.0, 1 - m[0, 0] - m[1, 1] + m[2, 2])), m[1, 0] - m[0, 1])
    return Quaternion(x=float(x), y=float(y), z=float(z), w=float(w))


def pose_to_rt(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """``Pose`` → (rotation 3×3, translation 3): maps points of the posed frame into the parent frame."""
    t = np.array([pose.position.x, pose.position.y, pose.position.z], dtype=float)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"pose position {t.tolist()} is not finite")
    return quaternion_to_matrix(pose.orientation), t


def rt_to_pose_stamped(rotation: np.ndarray, translation: np.ndarray, header: Header) -> PoseStamped:
    x, y, z = (float(c) for c in translation)
    return PoseStamped(header=header, pose=Pose(position=Point(x=x, y=y, z=z),
                                                orientation=matrix_to_quaternion(rotation)))


# ---- answers and markers ------------------------------------------------------------------------

def grounded_object_msg(obj: grounding.GroundedObject, stamp, camera_frame: str, world_frame: str) -> GroundedObject:
    """A grounded object → message: the world point when known, else the optical-frame point."""
    msg = GroundedObject(label=obj.label, score=float(obj.score),
                         bbox_xyxy=[float(c) for c in obj.bbox_xyxy], position_valid=obj.position_valid)
    msg.position = PointStamped()
    msg.position.header.stamp = stamp
    msg.position.header.frame_id = camera_frame
    point = obj.point_world if obj.point_world is not None else obj.point_camera
    if obj.point_world is not None:
        msg.position.header.frame_id = world_frame
    if point is not None:
        msg.position.point = Point(x=float(point[0]), y=float(point[1]), z=float(point[2]))
    return msg


def scene_answer_msg(header: Header, prompt: str, answer: str, objects: list[GroundedObject],
                     model: str, latency_s: float) -> SceneAnswer:
    return SceneAnswer(header=header, prompt=prompt, answer=answer, objects=objects, model=model,
                       latency_s=float(latency_s))


def markers_msg(answer: SceneAnswer, radius_m: float = 0.03, namespace: str = "llava_ros") -> MarkerArray:
    """RViz markers for an answer: clear the old ones, then a sphere and a text label per 3-D point."""
    markers = [Marker(action=Marker.DELETEALL, ns=namespace)]
    for i, obj in enumerate(o for o in answer.objects if o.position_valid):
        header = obj.position.header
        sphere = Marker(header=header, ns=namespace, id=2 * i, type=Marker.SPHERE, action=Marker.ADD)
        sphere.pose.position = obj.position.point
        sphere.pose.orientation.w = 1.0
        sphere.scale.x = sphere.scale.y = sphere.scale.z = 2 * radius_m
        sphere.color.r, sphere.color.g, sphere.color.b, sphere.color.a = 1.0, 0.5, 0.0, 0.8
        text = Marker(header=header, ns=namespace, id=2 * i + 1, type=Marker.TEXT_VIEW_FACING,
                      action=Marker.ADD, text=obj.label)
        text.pose.position = Point(x=obj.position.point.x, y=obj.position.point.y,
                                   z=obj.position.point.z + 2 * radius_m)
        text.pose.orientation.w = 1.0
        text.scale.z = radius_m
        text.color.r = text.color.g = text.color.b = text.color.a = 1.0
        markers += [sphere, text]
    return MarkerArray(markers=markers)
