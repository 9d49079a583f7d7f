"""The LLaVA perception node ``llava_ros``: camera frames + instructions → grounded scene answers.

    python -m llava_ros.ros.perception_node --ros-args --params-file launch/params/perception.yaml

Subscribes ``image``, ``depth``, ``camera_info``, ``camera_pose`` (sensor-data QoS; only the latest
frame is kept) and ``instruction`` (std_msgs/String); publishes ``answer`` (SceneAnswer),
``answer_text`` (String; also "busy: ..." / "error: ..." for topic instructions that failed) and
``markers`` (MarkerArray); serves ``ask_scene`` (AskScene). Generation runs on one worker thread
behind a bounded queue; services wait on it from a reentrant callback group, so camera callbacks
never stall. Every parameter is declared in :mod:`llava_ros.ros.perception_params` and documented
in ``launch/params/perception.yaml``.
"""
from __future__ import annotations

import functools
import sys
import time
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass

import numpy as np
from geometry_msgs.msg import PoseStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header, String
from visualization_msgs.msg import MarkerArray

from llava_ros.ask import check_model_folder
from llava_ros.engine import Engine, GenerationSettings, create_engine
from llava_ros.engine.base import check_image, check_prompt
from llava_ros.ros import node_tools
from llava_ros.ros.answer import ground_answer
from llava_ros.ros.conversions import image_to_rgb, markers_msg, scene_answer_msg
from llava_ros.ros.frames import FrameBuffer, Snapshot, stamp_s
from llava_ros.ros.node_tools import EVENT_QOS, SENSOR_QOS
from llava_ros.ros.perception_params import NODE_NAME, PARAMETERS
from llava_ros.ros.worker import Busy, GenerationWorker
from llava_ros_interfaces.msg import SceneAnswer
from llava_ros_interfaces.srv import AskScene


class RequestError(ValueError):
    """A request that cannot be answered; the message is the AskScene ``error``."""


@dataclass
class _Request:
    prompt: str
    settings: GenerationSettings
    image: Image
    rgb: np.ndarray
    snapshot: Snapshot | None  # None when the request carried its own image
    received_s: float  # time.perf_counter()


class LlavaPerceptionNode(Node):
    def __init__(self, engine: Engine | None = None, **node_kwargs):
        super().__init__(NODE_NAME, **node_kwargs)
        node_tools.declare(self, PARAMETERS)
        self.engine = engine or create_engine(self.param("engine"), device=self.param("device"),
                                              model_path=check_model_folder(self.param("model_path")))
        self.frames = FrameBuffer()
        self.worker = GenerationWorker(self.param("queue_size"))
        sensors, self.requests = MutuallyExclusiveCallbackGroup(), ReentrantCallbackGroup()
        self.image_topic = self.param("image_topic")
        self.create_subscription(Image, self.image_topic, self.frames.set_image, SENSOR_QOS, callback_group=sensors)
        self.create_subscription(Image, self.param("depth_topic"), self.frames.add_depth, SENSOR_QOS,
                                 callback_group=sensors)
        self.create_subscription(CameraInfo, self.param("camera_info_topic"), self.frames.set_camera_info,
                                 SENSOR_QOS, callback_group=sensors)
        if self.param("camera_pose_topic"):
            self.create_subscription(PoseStamped, self.param("camera_pose_topic"), self.frames.add_pose,
                                     SENSOR_QOS, callback_group=sensors)
        # Instructions one at a time (the callback only queues), so they reach the worker in arrival order.
        self.create_subscription(String, "instruction", self._on_instruction, EVENT_QOS,
                                 callback_group=MutuallyExclusiveCallbackGroup())
        self.answer_pub = self.create_publisher(SceneAnswer, "answer", EVENT_QOS)
        self.text_pub = self.create_publisher(String, "answer_text", EVENT_QOS)
        self.marker_pub = self.create_publisher(MarkerArray, "markers", EVENT_QOS)
        self.create_service(AskScene, "ask_scene", self._on_ask_scene, callback_group=self.requests)
        self.get_logger().info(f"engine {self.engine.name} with {self.engine.model_id}; "
                               f"camera on {self.resolve_topic_name(self.image_topic)}")

    def param(self, name: str):
        return self.get_parameter(name).value

    def destroy_node(self) -> None:
        self.worker.stop()
        super().destroy_node()

    # ---- requests ---------------------------------------------------------------------------

    def _prepare(self, prompt: str, max_frame_age_s: float = 0.0, max_new_tokens: int = 0,
                 image: Image | None = None) -> _Request:
        """Validate a request and take its frame now; :class:`RequestError` names the problem."""
        received = time.perf_counter()
        try:
            prompt = check_prompt(prompt)
        except ValueError as err:
            raise RequestError(f"bad prompt: {err}") from None
        try:
            settings = GenerationSettings(max_new_tokens=int(max_new_tokens or self.param("max_new_tokens")),
                                          temperature=float(self.param("temperature")))
        except ValueError as err:
            raise RequestError(f"invalid request: {err}") from None
        if image is not None and image.width > 0:
            try:
                return _Request(prompt, settings, image, check_image(image_to_rgb(image)), None, received)
            except ValueError as err:
                raise RequestError(f"bad image in request: {err}") from None
        if max_frame_age_s < 0 or not np.isfinite(max_frame_age_s):
            raise RequestError(f"invalid request: max_frame_age_s must be >= 0, got {max_frame_age_s}")
        limit = float(max_frame_age_s or self.param("max_frame_age_s"))
        snapshot = self.frames.snapshot(fresh=lambda snap: self._age_s(snap) <= limit)
        topic = self.resolve_topic_name(self.image_topic)
        if snapshot is None:
            raise RequestError(f"no camera frame received yet on {topic}")
        age = self._age_s(snapshot)
        if age > limit:
            raise RequestError(f"latest camera frame is {age:.2f} s old; the limit is {limit:.2f} s (max_frame_age_s)")
        try:
            rgb = check_image(image_to_rgb(snapshot.image))
        except ValueError as err:
            raise RequestError(f"bad camera image on {topic}: {err}") from None
        return _Request(prompt, settings, snapshot.image, rgb, snapshot, received)

    def _age_s(self, snapshot: Snapshot) -> float:
        """Age by header stamp on the node's clock; by arrival time for unstamped images."""
        if snapshot.image.header.stamp.sec == 0 and snapshot.image.header.stamp.nanosec == 0:
            return time.monotonic() - snapshot.received_s
        return self.get_clock().now().nanoseconds * 1e-9 - stamp_s(snapshot.image)

    def _answer(self, request: _Request) -> SceneAnswer:
        """Run on the worker thread: generate, ground, publish; RequestError on model failure."""
        try:
            result = self.engine.answer(request.rgb, request.prompt, request.settings)
        except ValueError as err:
            raise RequestError(f"model rejected the request: {err}") from None
        except Exception as err:  # noqa: BLE001 - any engine failure is reported, the node keeps serving
            raise RequestError(f"model failed: {type(err).__name__}: {err}") from None
        header = Header(stamp=request.image.header.stamp,
                        frame_id=self.param("camera_frame") or request.image.header.frame_id)
        snap = request.snapshot
        height, width = request.rgb.shape[:2]
        objects, notes = ground_answer(result.text, header, width, height,
                                       snap.depth if snap else None, snap.camera_info if snap else None,
                                       snap.pose if snap else None, self.param("world_frame"),
                                       no_depth_note=snap.depth_note if snap else "")
        if objects and notes:
            self.get_logger().warning(f"answer without 3-D positions for some objects: {'; '.join(notes)}",
                                      throttle_duration_sec=10.0)
        answer = scene_answer_msg(header, request.prompt, result.text, objects, self.engine.model_id,
                                  time.perf_counter() - request.received_s)
        self.answer_pub.publish(answer)
        self.text_pub.publish(String(data=result.text))
        self.marker_pub.publish(markers_msg(answer))
        return answer

    def _on_ask_scene(self, request: AskScene.Request, response: AskScene.Response) -> AskScene.Response:
        try:
            job = self._prepare(request.prompt, request.max_frame_age_s, request.max_new_tokens, request.image)
            future = self.worker.submit(functools.partial(self._answer, job))
            timeout = float(self.param("service_timeout_s"))
            try:
                response.answer = future.result(timeout=timeout)
            except FutureTimeout:
                future.cancel()
                raise RequestError(f"timed out after {timeout:.1f} s waiting for the model "
                                   f"(service_timeout_s)") from None
            response.success = True
        except (RequestError, Busy) as err:
            response.success, response.error = False, str(err)
            self.get_logger().error(f"ask_scene: {err}")
        except Exception as err:  # noqa: BLE001 - a bug must not take the service down
            response.success, response.error = False, f"internal error: {type(err).__name__}: {err}"
            self.get_logger().error(f"ask_scene: {response.error}")
        return response

    def _on_instruction(self, msg: String) -> None:
        try:
            job = self._prepare(msg.data)
            self.worker.submit(functools.partial(self._answer, job)).add_done_callback(self._report_failure)
        except (RequestError, Busy) as err:
            self._report(err)

    def _report_failure(self, future: Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            self._report(future.exception())

    def _report(self, err: Exception) -> None:
        text = str(err) if isinstance(err, Busy) else f"error: {err}"
        self.get_logger().error(f"instruction: {text}")
        self.text_pub.publish(String(data=text))


def main(args=None) -> int:
    return node_tools.run(LlavaPerceptionNode, lambda node: node.worker.capacity + 3, args)


if __name__ == "__main__":
    sys.exit(main())
