"""The sim ROS node ``llava_sim``: a MuJoCo tabletop camera and grasp executor on ROS 2.

    python -m sim.ros_node --ros-args --params-file launch/params/sim.yaml -p seed:=3

Publishes ``image`` (rgb8), ``depth`` (32FC1 metres), ``camera_info`` (frame ``frame_id``) and
``camera_pose`` (PoseStamped of the optical frame in ``world_frame``) at ``rate_hz``; serves
``pick_object`` (PickObject) and ``reset`` (std_srvs/Trigger: rebuild the layout of ``seed``);
subscribes ``grasp_target`` (GroundedObject → a pick, result as JSON on ``grasp_result``).
Setting the ``seed`` parameter builds that seed's layout. Picks act only on
``target.position`` (in ``world_frame`` or ``frame_id``), never on the sim's ground truth.
"""
from __future__ import annotations

import json
import sys

import numpy as np
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.parameter import Parameter
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header, String
from std_srvs.srv import Trigger

from llava_ros.ros import node_tools
from llava_ros.ros.conversions import depth_to_image, intrinsics_to_camera_info, rgb_to_image, rt_to_pose_stamped
from llava_ros.ros.node_tools import CAMERA_PUB_QOS, EVENT_QOS
from llava_ros_interfaces.msg import GroundedObject
from llava_ros_interfaces.srv import PickObject
from sim.grasp import GraspRefused
from sim.ros_params import NODE_NAME, PARAMETERS
from sim.ros_world import SimFrame, SimWorld
from sim.scene import SceneConfig

PICK_TIMEOUT_S = 120.0  # wall time a pick (or a scene rebuild) may take before the call gives up


class SimNode(Node):
    def __init__(self, **node_kwargs):
        super().__init__(NODE_NAME, **node_kwargs)
        node_tools.declare(self, PARAMETERS)
        self.frame_id, self.world_frame = self.param("frame_id"), self.param("world_frame")
        self.frames_published = 0
        self.image_pub = self.create_publisher(Image, "image", CAMERA_PUB_QOS)
        self.depth_pub = self.create_publisher(Image, "depth", CAMERA_PUB_QOS)
        self.info_pub = self.create_publisher(CameraInfo, "camera_info", CAMERA_PUB_QOS)
        self.pose_pub = self.create_publisher(PoseStamped, "camera_pose", CAMERA_PUB_QOS)
        self.result_pub = self.create_publisher(String, "grasp_result", EVENT_QOS)
        cfg = SceneConfig(width=self.param("width"), height=self.param("height"))
        self.world = SimWorld(self.param("seed"), cfg, self.param("rate_hz"), self._publish_frame,
                              on_error=self.get_logger().error)
        group = ReentrantCallbackGroup()
        self.create_service(PickObject, "pick_object", self._on_pick, callback_group=group)
        self.create_service(Trigger, "reset", self._on_reset, callback_group=group)
        self.create_subscription(GroundedObject, "grasp_target", self._on_grasp_target, EVENT_QOS,
                                 callback_group=group)
        self.add_post_set_parameters_callback(self._on_parameters_set)
        self.get_logger().info(f"scene {self.world.seed}: {self.labels()} at {self.param('rate_hz')} Hz")

    def param(self, name: str):
        return self.get_parameter(name).value

    def labels(self) -> list[str]:
        return [o.label for o in self.world.scene.layout.objects]

    def ground_truth(self) -> dict:
        """``scene.json`` of the current scene (rendered on the sim thread)."""
        return self.world.call(self.world.ground_truth, PICK_TIMEOUT_S)

    def destroy_node(self) -> None:
        self.world.stop()
        super().destroy_node()

    # ---- camera -----------------------------------------------------------------------------

    def _publish_frame(self, frame: SimFrame) -> None:
        """Called on the sim thread for every rendered frame: four messages with one stamp."""
        stamp = self.get_clock().now().to_msg()
        header = Header(stamp=stamp, frame_id=self.frame_id)
        k = frame.intrinsics
        self.image_pub.publish(rgb_to_image(frame.rgb, "rgb8", header))
        self.depth_pub.publish(depth_to_image(frame.depth, "32FC1", header))
        self.info_pub.publish(intrinsics_to_camera_info(k.width, k.height, k.fx, k.fy, k.cx, k.cy, header))
        self.pose_pub.publish(rt_to_pose_stamped(frame.pose.rotation_world_from_camera, frame.pose.position_world,
                                                 Header(stamp=stamp, frame_id=self.world_frame)))
        self.frames_published += 1

    # ---- picks ------------------------------------------------------------------------------

    def target_in_world(self, target: GroundedObject) -> np.ndarray:
        """``target.position`` in the world frame; ``GraspRefused`` when it is not usable."""
        if not target.position_valid:
            raise GraspRefused(f"target {target.label!r} has position_valid=false: no 3-D position to pick at")
        p = target.position.point
        point = np.array([p.x, p.y, p.z], dtype=float)
        frame = target.position.header.frame_id
        if frame == self.world_frame:
            return point
        if frame == self.frame_id:
            pose = self.world.call(lambda: self.world.camera.pose(), PICK_TIMEOUT_S)
            return pose.camera_to_world(point)
        raise GraspRefused(f"target frame {frame!r} is unknown; use {self.world_frame!r} or {self.frame_id!r}")

    def pick(self, target: GroundedObject) -> dict:
        """Pick at ``target.position``; a dict with success, message, lift_m, picked_label, label."""
        report = {"label": target.label, "success": False, "lift_m": 0.0, "picked_label": ""}
        try:
            point = self.target_in_world(target)
            result = self.world.call(lambda: self.world.pick(point), PICK_TIMEOUT_S)
        except GraspRefused as err:
            report["message"] = f"refused: {err}"
        except Exception as err:  # noqa: BLE001 - report, keep serving
            report["message"] = f"pick failed: {type(err).__name__}: {err}"
        else:
            report.update(success=bool(result.success), message=result.message, lift_m=float(result.lift_m),
                          picked_label=result.picked_label or "")
        if report["success"]:  # (rclpy forbids two severities at one logging call site)
            self.get_logger().info(f"pick {target.label!r}: {report['message']}")
        else:
            self.get_logger().warning(f"pick {target.label!r}: {report['message']}")
        return report

    def _on_pick(self, request: PickObject.Request, response: PickObject.Response) -> PickObject.Response:
        report = self.pick(request.target)
        response.success, response.message = report["success"], report["message"]
        response.lift_m, response.picked_label = report["lift_m"], report["picked_label"]
        return response

    def _on_grasp_target(self, msg: GroundedObject) -> None:
        self.result_pub.publish(String(data=json.dumps(self.pick(msg))))

    # ---- scene changes ----------------------------------------------------------------------

    def _rebuild(self, seed: int) -> str:
        self.world.call(lambda: self.world.build(seed), PICK_TIMEOUT_S)
        message = f"scene {seed}: {self.labels()}"
        self.get_logger().info(message)
        return message

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        try:
            response.message, response.success = self._rebuild(self.param("seed")), True
        except Exception as err:  # noqa: BLE001 - report, keep serving
            response.message, response.success = f"reset failed: {type(err).__name__}: {err}", False
        return response

    def _on_parameters_set(self, params: list[Parameter]) -> None:
        for p in params:
            if p.name == "seed":
                try:
                    self._rebuild(p.value)
                except Exception as err:  # noqa: BLE001 - keep the old scene and keep serving
                    self.get_logger().error(f"seed {p.value}: rebuild failed: {type(err).__name__}: {err}")
            elif p.name == "rate_hz":
                self.world.rate_hz = float(p.value)


def main(args=None) -> int:
    return node_tools.run(SimNode, 4, args)


if __name__ == "__main__":
    sys.exit(main())
