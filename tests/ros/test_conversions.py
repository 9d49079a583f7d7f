"""Image/depth/camera-info/pose conversions, answer grounding from messages and RViz markers."""
import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from llava_ros.boxes import format_box
from llava_ros.ros import conversions as conv
from llava_ros.ros.answer import ground_answer
from llava_ros_interfaces.msg import SceneAnswer
from visualization_msgs.msg import Marker

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(6, 10, 3), dtype=np.uint8)


def _wire(msg):
    """Through serialisation, as a subscriber receives it."""
    return deserialize_message(serialize_message(msg), type(msg))


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8"])
def test_colour_round_trip(encoding):
    msg = _wire(conv.rgb_to_image(RGB, encoding, Header(frame_id="cam")))
    assert msg.encoding == encoding and msg.header.frame_id == "cam"
    assert (msg.width, msg.height) == (10, 6)
    np.testing.assert_array_equal(conv.image_to_rgb(msg), RGB)


def test_bgr8_bytes_are_bgr_and_mono8_reads_as_grey_rgb():
    bgr = conv.rgb_to_image(RGB, "bgr8")
    assert bytes(bgr.data[:3]) == bytes(RGB[0, 0, ::-1])
    grey = RNG.integers(0, 256, size=(6, 10), dtype=np.uint8)
    rgb = conv.image_to_rgb(_wire(conv.array_to_image(grey, "mono8")))
    assert rgb.shape == (6, 10, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], grey)


def test_padded_rows_and_big_endian_are_read():
    msg = conv.rgb_to_image(RGB, "rgb8")
    padded = np.zeros((6, 32), np.uint8)
    padded[:, :30] = RGB.reshape(6, 30)
    msg.step, msg.data = 32, padded.tobytes()
    np.testing.assert_array_equal(conv.image_to_rgb(msg), RGB)
    depth = np.linspace(0.5, 2.0, 60, dtype=np.float32).reshape(6, 10)
    big = conv.depth_to_image(depth)
    big.is_bigendian, big.data = 1, depth.astype(">f4").tobytes()
    np.testing.assert_array_equal(conv.image_to_depth(big), depth)


def test_depth_round_trip_32fc1_and_16uc1():
    depth = np.full((6, 10), 0.8, np.float32)
    depth[0, 0] = np.nan
    depth[1, 1] = 1.2345
    back = conv.image_to_depth(_wire(conv.depth_to_image(depth, "32FC1")))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(depth))
    np.testing.assert_allclose(back[~np.isnan(back)], depth[~np.isnan(depth)])
    mm = _wire(conv.depth_to_image(depth, "16UC1"))
    assert conv.image_to_array(mm)[0, 0] == 0 and conv.image_to_array(mm)[1, 1] == 1234
    back = conv.image_to_depth(mm)
    assert np.isnan(back[0, 0]) and back[1, 1] == pytest.approx(1.234) and back[2, 2] == pytest.approx(0.8)


def _image(**fields) -> Image:
    msg = Image(height=240, width=80, encoding="rgb8", step=240)
    msg.data = bytes(240 * 240)
    for key, value in fields.items():
        setattr(msg, key, value)
    return msg


@pytest.mark.parametrize("fields, message", [
    ({"encoding": "yuv422"}, "unknown encoding 'yuv422'"),
    ({"width": 40, "step": 100}, "step 100 < width*channels 120"),
    ({"data": bytes(10)}, "data has 10 bytes, expected 57600"),
    ({"width": 0, "height": 0, "data": b""}, "empty image"),
    ({"width": 10000, "height": 10000}, "image 10000x10000 exceeds the 4096 px limit"),
])
def test_malformed_images_name_the_problem(fields, message):
    with pytest.raises(ValueError) as err:
        conv.image_to_rgb(_image(**fields))
    assert str(err.value).startswith(message)


def test_wrong_kind_of_image_is_refused():
    with pytest.raises(ValueError, match="'32FC1' is a depth image"):
        conv.image_to_rgb(conv.depth_to_image(np.ones((4, 4), np.float32)))
    with pytest.raises(ValueError, match="'rgb8' is not a depth image"):
        conv.image_to_depth(conv.rgb_to_image(RGB))
    with pytest.raises(ValueError, match="step 16 < width\\*channels\\*4 bytes 40"):
        conv.image_to_depth(Image(height=6, width=10, encoding="32FC1", step=16, data=bytes(96)))


def test_camera_info_and_pose_round_trip():
    info = _wire(conv.intrinsics_to_camera_info(640, 480, 500.0, 510.0, 319.5, 239.5))
    k = conv.camera_info_to_intrinsics(info)
    assert (k.fx, k.fy, k.cx, k.cy) == (500.0, 510.0, 319.5, 239.5)
    assert list(info.p[:3]) == [500.0, 0.0, 319.5] and info.distortion_model == "plumb_bob"
    info.k[0] = 0.0
    with pytest.raises(ValueError, match="non-positive focal length"):
        conv.camera_info_to_intrinsics(info)
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    rotation = rotation @ np.diag([1.0, -1.0, -1.0])
    pose = _wire(conv.rt_to_pose_stamped(rotation, [1.0, 2.0, 3.0], Header(frame_id="world")))
    r, t = conv.pose_to_rt(pose.pose)
    np.testing.assert_allclose(r, rotation, atol=1e-12)
    np.testing.assert_allclose(t, [1.0, 2.0, 3.0])
    pose.pose.orientation.w = pose.pose.orientation.x = pose.pose.orientation.y = pose.pose.orientation.z = 0.0
    with pytest.raises(ValueError, match="zero or not finite"):
        conv.pose_to_rt(pose.pose)


def test_ground_answer_without_depth_or_info_keeps_boxes_without_positions():
    header = Header(frame_id="cam")
    answer = f"the red cube {format_box([20, 10, 40, 30], 80, 60)} is left."
    objects, notes = ground_answer(answer, header, 80, 60)
    assert [o.label for o in objects] == ["red cube"] and not objects[0].position_valid
    assert list(objects[0].bbox_xyxy) == pytest.approx([20.0, 10.0, 40.0, 30.0], abs=0.5)
    assert notes == ["no depth image"]
    assert ground_answer(answer, header, 80, 60, no_depth_note="no depth image received yet")[1] == [
        "no depth image received yet"]
    depth = conv.depth_to_image(np.full((60, 80), 1.0, np.float32))
    objects, notes = ground_answer(answer, header, 80, 60, depth)
    assert not objects[0].position_valid and notes == ["no camera info"]
    info = conv.intrinsics_to_camera_info(80, 60, 50.0, 50.0, 39.5, 29.5)
    objects, notes = ground_answer(answer, header, 80, 60, depth, info)
    assert objects[0].position_valid and objects[0].position.header.frame_id == "cam" and notes == []
    assert objects[0].position.point.z > 1.0  # moved back from the surface towards the centre
    pose = PoseStamped(header=Header(frame_id="map"))
    pose.pose.orientation.w = 1.0
    objects, notes = ground_answer(answer, header, 80, 60, depth, info, pose, world_frame="world")
    assert objects[0].position.header.frame_id == "cam" and "not 'world'" in notes[0]
    pose.header.frame_id = "world"
    pose.pose.position.z = 5.0
    objects, _ = ground_answer(answer, header, 80, 60, depth, info, pose, world_frame="world")
    assert objects[0].position.header.frame_id == "world" and objects[0].position.point.z > 6.0


def test_markers_clear_then_sphere_and_label_per_valid_object():
    header = Header(frame_id="cam")
    info = conv.intrinsics_to_camera_info(80, 60, 50.0, 50.0, 39.5, 29.5)
    depth = conv.depth_to_image(np.full((60, 80), 1.0, np.float32))
    answer = f"a red cube {format_box([20, 10, 40, 30], 80, 60)} and a blue cone {format_box([50, 10, 70, 30], 80, 60)}"
    objects, _ = ground_answer(answer, header, 80, 60, depth, info)
    objects[1].position_valid = False
    markers = conv.markers_msg(SceneAnswer(header=header, objects=objects)).markers
    assert markers[0].action == Marker.DELETEALL
    assert [m.type for m in markers[1:]] == [Marker.SPHERE, Marker.TEXT_VIEW_FACING]
    assert markers[1].header.frame_id == "cam" and markers[2].text == "red cube"
    assert markers[1].pose.position.z == pytest.approx(objects[0].position.point.z)
