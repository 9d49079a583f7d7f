"""The sim node in-process over real DDS: camera streams, grounding of its frames, picks, reset/seed."""
import json

import numpy as np
import pytest
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import String
from std_srvs.srv import Trigger

from llava_ros.boxes import format_box
from llava_ros.ros.answer import ground_answer
from llava_ros.ros.conversions import image_to_depth, image_to_rgb
from llava_ros.ros.node_tools import SENSOR_QOS
from llava_ros.ros.testing import Spinner, wait_for, wait_for_subscribers
from llava_ros_interfaces.msg import GroundedObject
from llava_ros_interfaces.srv import PickObject
from sim.camera import CameraPose
from sim.layout import sample_layout
from sim.ros_node import SimNode

TIMEOUT_S = 30.0
SEED, WIDTH, HEIGHT = 3, 320, 240


class Rig:
    def __init__(self):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = SimNode(context=self.context, parameter_overrides=[
            Parameter("seed", value=SEED), Parameter("width", value=WIDTH), Parameter("height", value=HEIGHT),
            Parameter("rate_hz", value=10.0)])
        self.client = rclpy.create_node("sim_test_client", context=self.context)
        self.latest: dict[str, list] = {"image": [], "depth": [], "camera_info": [], "camera_pose": []}
        for topic, kind in (("image", Image), ("depth", Image), ("camera_info", CameraInfo),
                            ("camera_pose", PoseStamped)):
            self.client.create_subscription(kind, topic, self.latest[topic].append, SENSOR_QOS)
        self.results: list[dict] = []
        self.client.create_subscription(String, "grasp_result", lambda m: self.results.append(json.loads(m.data)), 10)
        self.target_pub = self.client.create_publisher(GroundedObject, "grasp_target", 10)
        self.pick_client = self.client.create_client(PickObject, "pick_object")
        self.reset_client = self.client.create_client(Trigger, "reset")
        self.spinner = Spinner([self.node, self.client], context=self.context)
        assert self.pick_client.wait_for_service(timeout_sec=TIMEOUT_S)
        assert self.reset_client.wait_for_service(timeout_sec=TIMEOUT_S)

    def synced_frame(self) -> dict:
        """The newest image with the depth, camera info and pose of the same stamp."""
        def find():
            for image in reversed(self.latest["image"]):
                found = {k: next((m for m in reversed(v) if m.header.stamp == image.header.stamp), None)
                         for k, v in self.latest.items()}
                if all(found.values()):
                    return found
            return None
        return wait_for(find, TIMEOUT_S, "an image with depth, camera info and pose of the same stamp")

    def pick(self, point, frame="world", label="target", valid=True) -> PickObject.Response:
        target = GroundedObject(label=label, position_valid=valid)
        target.position.header.frame_id = frame
        target.position.point.x, target.position.point.y, target.position.point.z = (float(c) for c in point)
        response = self.pick_client.call(PickObject.Request(target=target), timeout_sec=TIMEOUT_S * 4)
        assert response is not None, "pick_object did not answer"
        return response

    def close(self):
        self.spinner.stop()
        self.node.destroy_node()
        self.client.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope="module")
def rig():
    rig = Rig()
    yield rig
    rig.close()


def test_camera_streams_arrive_with_matching_sizes_frames_and_stamps(rig):
    frame = rig.synced_frame()
    image, depth, info, pose = frame["image"], frame["depth"], frame["camera_info"], frame["camera_pose"]
    assert (image.width, image.height, image.encoding) == (WIDTH, HEIGHT, "rgb8")
    assert image_to_rgb(image).shape == (HEIGHT, WIDTH, 3)
    assert depth.encoding == "32FC1" and image_to_depth(depth).shape == (HEIGHT, WIDTH)
    assert np.nanmin(image_to_depth(depth)) > 0.3  # the table is in front of the camera
    assert (info.width, info.height) == (WIDTH, HEIGHT)
    assert image.header.frame_id == depth.header.frame_id == info.header.frame_id == "camera_optical_frame"
    assert pose.header.frame_id == "world"
    k = rig.node.world.camera.intrinsics
    assert list(info.k) == pytest.approx([k.fx, 0, k.cx, 0, k.fy, k.cy, 0, 0, 1])
    assert pose.pose.position.x == pytest.approx(rig.node.world.camera.pose().position_world[0], abs=1e-6)


def _visible(truth: dict) -> list[dict]:
    return [o for o in truth["objects"] if o["bbox_xyxy"] is not None and o["visible_fraction"] > 0.5]


def test_grounding_an_answer_about_received_frames_lands_on_the_objects(rig):
    truth = rig.node.ground_truth()
    frame = rig.synced_frame()
    objects = _visible(truth)
    assert objects, "no visible object in the scene"
    answer = " ".join(f"There is the {o['label']} {format_box(o['bbox_xyxy'], WIDTH, HEIGHT)}." for o in objects)
    image = frame["image"]
    grounded, notes = ground_answer(answer, image.header, image.width, image.height, frame["depth"],
                                    frame["camera_info"], frame["camera_pose"], world_frame="world")
    assert notes == [] and [g.label for g in grounded] == [o["label"] for o in objects]
    for g, o in zip(grounded, objects):
        assert g.position_valid and g.position.header.frame_id == "world"
        error = np.linalg.norm(np.array([g.position.point.x, g.position.point.y, g.position.point.z])
                               - o["position_world"])
        assert error < 0.03, f"{o['label']}: grounded {100 * error:.1f} cm from its centre"
    # Without the pose the same points come back in the camera's optical frame.
    in_camera, _ = ground_answer(answer, image.header, image.width, image.height, frame["depth"],
                                 frame["camera_info"], None)
    camera = CameraPose(np.array(truth["camera"]["position_world"]),
                        np.array(truth["camera"]["rotation_world_from_camera"]))
    p = in_camera[0].position.point
    assert in_camera[0].position.header.frame_id == "camera_optical_frame"
    assert np.linalg.norm(camera.camera_to_world(np.array([p.x, p.y, p.z])) - objects[0]["position_world"]) < 0.03


def test_invalid_targets_are_refused_with_their_reason(rig):
    response = rig.pick([2.0, 0.0, 0.02])
    assert not response.success and response.message.startswith("refused: target [2.000, 0.000, 0.020]")
    assert "outside the workspace" in response.message and response.picked_label == ""
    response = rig.pick([0.5, 0.0, 0.02], valid=False, label="ghost")
    assert response.message == "refused: target 'ghost' has position_valid=false: no 3-D position to pick at"
    response = rig.pick([0.5, 0.0, 0.02], frame="base_link")
    assert response.message.startswith("refused: target frame 'base_link' is unknown")


def test_grasp_target_topic_reports_on_grasp_result(rig):
    wait_for_subscribers(rig.target_pub)
    target = GroundedObject(label="ghost", position_valid=False)
    target.position.header.frame_id = "world"
    rig.target_pub.publish(target)
    result = wait_for(lambda: rig.results, TIMEOUT_S, "a grasp_result")[0]
    assert result["label"] == "ghost" and result["success"] is False and "position_valid=false" in result["message"]


def test_pick_at_the_true_centre_lifts_that_object(rig):
    obj = _visible(rig.node.ground_truth())[0]
    response = rig.pick(obj["position_world"], label=obj["label"])
    assert response.success, response.message
    assert response.picked_label == obj["label"] and response.lift_m > 0.08


def test_reset_and_seed_rebuild_the_layout_and_camera_frame_targets_work(rig):
    response = rig.reset_client.call(Trigger.Request(), timeout_sec=TIMEOUT_S * 4)
    assert response.success and response.message.startswith(f"scene {SEED}:")
    rig.node.set_parameters([Parameter("seed", value=SEED + 1)])
    assert rig.node.labels() == [o.label for o in sample_layout(SEED + 1).objects]
    truth = rig.node.ground_truth()
    obj = _visible(truth)[-1]
    camera = CameraPose(np.array(truth["camera"]["position_world"]),
                        np.array(truth["camera"]["rotation_world_from_camera"]))
    response = rig.pick(camera.world_to_camera(np.array(obj["position_world"])), frame="camera_optical_frame",
                        label=obj["label"])
    assert response.success and response.picked_label == obj["label"], response.message
