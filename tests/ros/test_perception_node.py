"""The perception node in-process over real DDS on loopback, with the tiny random checkpoint."""
import re
import time

import numpy as np
import pytest
import rclpy
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image
from std_msgs.msg import Header, String
from visualization_msgs.msg import MarkerArray

from llava_ros.engine import GenerationSettings
from llava_ros.ros.conversions import rgb_to_image
from llava_ros.ros.perception_node import LlavaPerceptionNode
from llava_ros.ros.testing import Spinner, wait_for, wait_for_subscribers
from llava_ros_interfaces.msg import SceneAnswer
from llava_ros_interfaces.srv import AskScene
from tests.tiny import save_tiny_checkpoint

TIMEOUT_S = 30.0
IMAGE = np.random.default_rng(1).integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
QUEUE_SIZE = 2


class Rig:
    """The node under test plus a client node that plays camera, planner and listener."""

    def __init__(self, ckpt):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = LlavaPerceptionNode(context=self.context, parameter_overrides=[
            Parameter("model_path", value=str(ckpt)), Parameter("max_new_tokens", value=8),
            Parameter("max_frame_age_s", value=5.0), Parameter("queue_size", value=QUEUE_SIZE)])
        self.client = rclpy.create_node("perception_test_client", context=self.context)
        self.spinner = Spinner([self.node, self.client], context=self.context)
        self.image_pub = self.client.create_publisher(Image, "image", 10)
        self.instruction_pub = self.client.create_publisher(String, "instruction", 10)
        self.answers, self.texts, self.markers = [], [], []
        self.client.create_subscription(SceneAnswer, "answer", self.answers.append, 10)
        self.client.create_subscription(String, "answer_text", lambda m: self.texts.append(m.data), 10)
        self.client.create_subscription(MarkerArray, "markers", self.markers.append, 10)
        self.ask = self.client.create_client(AskScene, "ask_scene")
        assert self.ask.wait_for_service(timeout_sec=TIMEOUT_S), "ask_scene not discovered"
        wait_for_subscribers(self.image_pub)
        wait_for_subscribers(self.instruction_pub)

    def publish_frame(self, age_s: float = 0.0, frame_id: str = "test_optical_frame") -> Header:
        """Publish one camera image and wait until the node has it."""
        stamp = self.node.get_clock().now() - rclpy.duration.Duration(seconds=age_s)
        header = Header(stamp=stamp.to_msg(), frame_id=frame_id)
        before = self.node.frames.image_count
        self.image_pub.publish(rgb_to_image(IMAGE, "rgb8", header))
        wait_for(lambda: self.node.frames.image_count > before, TIMEOUT_S, "the image to arrive")
        return header

    def call(self, prompt: str = "What is on the table?", **fields) -> AskScene.Response:
        response = self.ask.call(AskScene.Request(prompt=prompt, **fields), timeout_sec=TIMEOUT_S)
        assert response is not None, "ask_scene did not answer"
        return response

    def close(self):
        self.spinner.stop()
        self.node.destroy_node()
        self.client.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = Rig(save_tiny_checkpoint(tmp_path_factory.mktemp("tiny_llava")))
    yield rig
    rig.close()


def test_no_frame_yet_is_an_error(rig):
    fresh = LlavaPerceptionNode(engine=rig.node.engine, namespace="fresh", context=rig.context)
    rig.spinner.add(fresh)
    try:
        client = rig.client.create_client(AskScene, "/fresh/ask_scene")
        assert client.wait_for_service(timeout_sec=TIMEOUT_S)
        response = client.call(AskScene.Request(prompt="What is here?"), timeout_sec=TIMEOUT_S)
        assert not response.success
        assert response.error == "no camera frame received yet on /fresh/image"
    finally:
        rig.spinner.executor.remove_node(fresh)
        fresh.destroy_node()


def test_instruction_topic_publishes_answer_with_the_image_header(rig):
    header = rig.publish_frame(frame_id="cam_a")
    n_answers, n_markers = len(rig.answers), len(rig.markers)
    rig.instruction_pub.publish(String(data="What is on the table?"))
    answer = wait_for(lambda: rig.answers[n_answers:], TIMEOUT_S, "an answer")[0]
    assert answer.header.stamp == header.stamp and answer.header.frame_id == "cam_a"
    assert answer.prompt == "What is on the table?" and answer.answer
    assert answer.model == rig.node.engine.model_id and answer.latency_s > 0
    wait_for(lambda: answer.answer in rig.texts, TIMEOUT_S, "answer_text")
    wait_for(lambda: len(rig.markers) > n_markers, TIMEOUT_S, "markers")


def test_ask_scene_round_trip_and_camera_frame_override(rig):
    header = rig.publish_frame(frame_id="cam_b")
    response = rig.call()
    assert response.success and response.error == ""
    assert response.answer.header.stamp == header.stamp and response.answer.header.frame_id == "cam_b"
    expected = rig.node.engine.answer(IMAGE, "What is on the table?", GenerationSettings(max_new_tokens=8))
    assert response.answer.answer == expected.text  # the node adds nothing to the engine's greedy answer
    rig.node.set_parameters([Parameter("camera_frame", value="override_frame")])
    try:
        assert rig.call().answer.header.frame_id == "override_frame"
    finally:
        rig.node.set_parameters([Parameter("camera_frame", value="")])


def _bad_image(kind: str) -> Image:
    msg = rgb_to_image(IMAGE)
    if kind == "encoding":
        msg.encoding = "yuv422"
    elif kind == "size":
        msg.data = bytes(10)
    else:  # too small for the engine
        msg = rgb_to_image(IMAGE[:4, :4])
    return msg


@pytest.mark.parametrize("fields, error", [
    ({"prompt": "   "}, "bad prompt: prompt is empty"),
    ({"prompt": "x" * 5000}, "bad prompt: prompt is 5000 characters long; the limit is 4000"),
    ({"image": _bad_image("encoding")}, "bad image in request: unknown encoding 'yuv422'"),
    ({"image": _bad_image("size")}, "bad image in request: data has 10 bytes, expected 9216"),
    ({"image": _bad_image("small")}, "bad image in request: image 4x4 is too small"),
    ({"max_new_tokens": 5000}, "invalid request: max_new_tokens must be in [1, 4096], got 5000"),
    ({"max_new_tokens": 250}, "model rejected the request: prompt is"),
])
def test_bad_request_names_the_problem_and_the_next_request_succeeds(rig, fields, error):
    rig.publish_frame()
    response = rig.call(**fields)
    assert not response.success and response.error.startswith(error), response.error
    assert rig.call().success


def test_stale_frame_is_refused_unless_the_request_allows_it(rig):
    rig.publish_frame(age_s=100.0)
    response = rig.call()
    assert not response.success
    age = re.fullmatch(r"latest camera frame is ([\d.]+) s old; the limit is 5\.00 s \(max_frame_age_s\)", response.error)
    assert age and 100.0 <= float(age.group(1)) < 130.0, response.error  # its stamp's age, plus the time to call
    assert rig.call(max_frame_age_s=1000.0).success
    rig.publish_frame()
    assert rig.call().success


def test_model_failure_is_reported_and_the_node_keeps_serving(rig, monkeypatch):
    rig.publish_frame()

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(rig.node.engine, "answer", broken)
    response = rig.call()
    assert not response.success and response.error == "model failed: RuntimeError: CUDA out of memory"
    monkeypatch.undo()
    assert rig.call().success


def test_slow_generation_does_not_stall_image_intake(rig):
    rig.publish_frame()
    future = rig.ask.call_async(AskScene.Request(prompt="Describe the scene.", max_new_tokens=160,
                                                 max_frame_age_s=1000.0))
    start, during = time.monotonic(), 0
    before = rig.node.frames.image_count
    while not future.done() and time.monotonic() - start < TIMEOUT_S:
        rig.image_pub.publish(rgb_to_image(IMAGE, "rgb8", Header(stamp=rig.node.get_clock().now().to_msg())))
        time.sleep(0.02)  # ~50 Hz camera
        if not future.done():
            during = rig.node.frames.image_count - before
    response = wait_for(future.result, TIMEOUT_S, "the slow answer")
    assert response.success, response.error
    print(f"\nslow answer: {response.answer.latency_s:.2f} s, {len(response.answer.answer)} chars; {during} images meanwhile")
    assert during >= 5, f"only {during} images taken in during a {time.monotonic() - start:.1f} s generation"


def test_service_timeout_is_an_error_and_the_next_request_waits_its_turn(rig):
    rig.publish_frame()
    rig.node.set_parameters([Parameter("service_timeout_s", value=0.1)])
    try:
        response = rig.call(max_new_tokens=160, max_frame_age_s=1000.0)
        assert not response.success
        assert response.error == "timed out after 0.1 s waiting for the model (service_timeout_s)"
    finally:
        rig.node.set_parameters([Parameter("service_timeout_s", value=60.0)])
    assert rig.call(max_frame_age_s=1000.0).success  # queued behind the generation that timed out


def test_concurrent_instructions_are_answered_in_order_or_refused_busy(rig):
    rig.publish_frame()
    rig.node.set_parameters([Parameter("max_new_tokens", value=48), Parameter("max_frame_age_s", value=1000.0)])
    try:
        n_answers, n_texts = len(rig.answers), len(rig.texts)
        prompts = [f"Question number {i}?" for i in range(6)]
        for prompt in prompts:
            rig.instruction_pub.publish(String(data=prompt))

        def settled():
            answered = [a.prompt for a in rig.answers[n_answers:]]
            busy = [t for t in rig.texts[n_texts:] if t.startswith("busy:")]
            return (answered, busy) if len(answered) + len(busy) == len(prompts) else None

        answered, busy = wait_for(settled, TIMEOUT_S, "every instruction answered or refused")
        assert answered == sorted(answered, key=prompts.index), "answers out of order"
        assert answered[0] == prompts[0] and len(answered) >= 1 + QUEUE_SIZE - 1
        assert busy and all(f"queue_size={QUEUE_SIZE}" in b for b in busy)

        futures = [rig.ask.call_async(AskScene.Request(prompt=f"Service {i}?")) for i in range(5)]
        wait_for(lambda: all(f.done() for f in futures), TIMEOUT_S, "every ask_scene call answered")
        results = [f.result() for f in futures]
        assert all(r.success or r.error.startswith("busy:") for r in results), [r.error for r in results]
        assert any(r.success for r in results) and any(not r.success for r in results)
    finally:
        rig.node.set_parameters([Parameter("max_new_tokens", value=8), Parameter("max_frame_age_s", value=5.0)])
