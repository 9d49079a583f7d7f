"""``llava-ros launch`` (llava_ros.launcher): node commands, and a real sim process seen over DDS."""
import os
import re
import signal
import subprocess
import sys
import threading

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image

from llava_ros import launcher
from llava_ros.ros.node_tools import SENSOR_QOS
from llava_ros.ros.testing import wait_for
from llava_ros_interfaces.srv import AskScene
from tests.tiny import save_tiny_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT_S = 60.0


def test_commands_use_the_yaml_then_files_then_typed_sets(tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("llava_sim:\n  ros__parameters:\n    seed: 7\n")
    cmds = launcher.commands("all", [str(extra)], ["rate_hz=10", "perception.model_path=/m", "frame_id=1"])
    sim, perception = cmds["sim"], cmds["perception"]
    assert sim[1:4] == ["-m", "sim.ros_node", "--ros-args"]
    assert sim[sim.index("--params-file") + 1].endswith("launch/params/sim.yaml")
    assert str(extra) in sim and sim[-4:] == ["-p", "rate_hz:=10.0", "-p", "frame_id:='1'"]
    assert perception[-2:] == ["-p", "model_path:='/m'"] and "rate_hz:=10.0" not in perception


@pytest.mark.parametrize("sets, message", [
    (["bogus=1"], "no started node declares 'bogus'"),
    (["rate_hz"], "expected name=value"),
    (["robot.seed=1"], "unknown node 'robot'"),
    (["sim.model_path=/m"], "node sim has no parameter 'model_path'"),
    (["rate_hz=fast"], "expected a number, got 'fast'"),
])
def test_bad_sets_are_refused_before_anything_starts(sets, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        launcher.commands("sim", [], sets)


class Launched:
    """``python -m llava_ros.launcher ARGS`` with its output collected."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "llava_ros.launcher", *args], cwd=ROOT,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def pids(self) -> dict[str, int]:
        return {k: int(p) for k, p in re.findall(r"started (\w+) \(pid (\d+)\)", self.output)}

    def alive(self) -> bool:
        assert self.proc.poll() is None, "launcher exited early:\n" + self.output
        return True

    def stop(self) -> int:
        """Ctrl-C the launcher; its status once every node is gone."""
        self.proc.send_signal(signal.SIGINT)
        status = self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        for pid in self.pids().values():
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)  # the node process is gone (reaped by the launcher)
        return status


def test_launch_all_answers_ask_scene_across_processes(tmp_path):
    ckpt = save_tiny_checkpoint(tmp_path / "tiny")
    launched = Launched("all", "--set", "width=96", "--set", "height=64", "--set", "rate_hz=5",
                        "--set", f"perception.model_path={ckpt}", "--set", "max_new_tokens=4")
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("launcher_all_test_client", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        ask = node.create_client(AskScene, "ask_scene")
        wait_for(lambda: launched.alive() and ask.wait_for_service(timeout_sec=0.1), START_TIMEOUT_S, "ask_scene")

        def answered():
            future = ask.call_async(AskScene.Request(prompt="What is on the table?"))
            executor.spin_until_future_complete(future, timeout_sec=30)
            response = future.result()
            assert response.success or response.error.startswith("no camera frame"), response.error
            return response if response.success else None

        response = wait_for(lambda: launched.alive() and answered(), START_TIMEOUT_S, "an answer about a sim frame")
        assert response.answer.header.frame_id == "camera_optical_frame"
        assert set(launched.pids()) == {"sim", "perception"}
        assert launched.stop() == 0, launched.output
    finally:
        if launched.proc.poll() is None:
            launched.proc.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)


def test_launch_sim_serves_images_and_stops_cleanly_on_ctrl_c():
    launched = Launched("sim", "--set", "width=96", "--set", "height=64", "--set", "rate_hz=5")
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("launcher_test_client", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    images: list[Image] = []
    node.create_subscription(Image, "image", images.append, SENSOR_QOS)
    try:
        def received():
            executor.spin_once(timeout_sec=0.1)
            return launched.alive() and images
        image = wait_for(received, START_TIMEOUT_S, "an image from the launched sim")[0]
        assert (image.width, image.height, image.encoding) == (96, 64, "rgb8")
        assert list(launched.pids()) == ["sim"]
        assert launched.stop() == 0, launched.output
    finally:
        if launched.proc.poll() is None:
            launched.proc.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
