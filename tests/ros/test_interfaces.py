"""The llava_ros_interfaces package, built by scripts/build_interfaces.sh, over real DDS on loopback."""
import threading
import time

import pytest
import rclpy
from geometry_msgs.msg import PointStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.serialization import deserialize_message, serialize_message

from llava_ros_interfaces.msg import GroundedObject, SceneAnswer
from llava_ros_interfaces.srv import AskScene, PickObject

DISCOVERY_TIMEOUT_S = 15.0


@pytest.fixture
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.shutdown(context=ctx)


def _grounded(label: str) -> GroundedObject:
    obj = GroundedObject(label=label, score=0.9, bbox_xyxy=[10.0, 20.0, 30.0, 40.0], position_valid=True)
    obj.position = PointStamped()
    obj.position.header.frame_id = "world"
    obj.position.point.x, obj.position.point.y, obj.position.point.z = 0.5, -0.1, 0.02
    return obj


def test_messages_have_the_documented_fields_and_serialise():
    answer = SceneAnswer(prompt="where is the red cube?", answer="the red cube [0.1, 0.2, 0.3, 0.4]",
                         objects=[_grounded("red cube")], model="tiny", latency_s=0.25)
    restored = deserialize_message(serialize_message(answer), SceneAnswer)
    assert restored.objects[0].label == "red cube"
    assert list(restored.objects[0].bbox_xyxy) == [10.0, 20.0, 30.0, 40.0]
    assert restored.objects[0].position.header.frame_id == "world"
    request = AskScene.Request()
    assert {"prompt", "max_frame_age_s", "max_new_tokens", "image"} <= set(request.get_fields_and_field_types())
    assert set(AskScene.Response.get_fields_and_field_types()) == {"success", "error", "answer"}
    assert set(PickObject.Response.get_fields_and_field_types()) == {"success", "message", "lift_m", "picked_label"}


def test_service_and_topic_round_trip_over_dds(context):
    server = rclpy.create_node("interfaces_test_server", context=context)
    client = rclpy.create_node("interfaces_test_client", context=context)
    received: list[GroundedObject] = []

    def handle(request: PickObject.Request, response: PickObject.Response) -> PickObject.Response:
        response.success = request.target.position_valid
        response.picked_label = request.target.label
        response.lift_m = float(request.target.position.point.z)
        return response

    server.create_service(PickObject, "pick_object", handle)
    server.create_subscription(GroundedObject, "grasp_target", received.append, 10)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(server)
    executor.add_node(client)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        cli = client.create_client(PickObject, "pick_object")
        assert cli.wait_for_service(timeout_sec=DISCOVERY_TIMEOUT_S), "service not discovered"
        response = cli.call(PickObject.Request(target=_grounded("blue sphere")), timeout_sec=10.0)
        assert response.success and response.picked_label == "blue sphere"
        assert response.lift_m == pytest.approx(0.02)

        pub = client.create_publisher(GroundedObject, "grasp_target", 10)
        deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pub.get_subscription_count() == 1, "subscriber not matched"
        pub.publish(_grounded("green cone"))
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [o.label for o in received] == ["green cone"]
    finally:
        executor.shutdown()
        spinner.join(timeout=5)
        server.destroy_node()
        client.destroy_node()
