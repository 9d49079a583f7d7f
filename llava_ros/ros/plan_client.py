"""What a planner needs around the two nodes: start the graph, and a client for its services.

    with LaunchedGraph(model="models/llava-ros-sim", seed=3) as graph, PlannerClient() as client:
        client.wait_for_graph(graph)                      # by matching services, never by sleeping
        since = client.set_seed(4)                        # a new layout; frames after `since` show it
        response, seconds = client.ask("Where is the red cube?", newer_than=since)
        pick, seconds = client.pick(response.answer.objects[0])

:class:`LaunchedGraph` runs ``python -m llava_ros.launcher all`` (the launcher owns the node
processes and stops them on SIGINT); :class:`PlannerClient` is one rclpy node in its own context,
spun on a background thread. Both work against any graph on the same domain (``--join``).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.parameter import Parameter
from rclpy.parameter_client import AsyncParameterClient
from sensor_msgs.msg import Image

from llava_ros import launcher
from llava_ros.ros.frames import stamp_s
from llava_ros.ros.node_tools import SENSOR_QOS
from llava_ros.ros.testing import Spinner, wait_for
from llava_ros_interfaces.msg import GroundedObject
from llava_ros_interfaces.srv import AskScene, PickObject
from sim.ros_params import NODE_NAME as SIM_NODE

IMAGE_MATCH_TOLERANCE_S = 0.5  # how far in stamp a kept frame may be from the answered one
START_TIMEOUT_S = 120.0  # node processes import torch and mujoco, load the model, then discover
ASK_TIMEOUT_S = 300.0  # one answer of the real model on a CPU
PICK_TIMEOUT_S = 150.0
# ask_scene errors worth retrying: the node has no (fresh enough) frame yet, or its queue is full.
RETRY_ERRORS = ("no camera frame", "latest camera frame is", "busy")


def use_loopback_env() -> None:
    """Loopback-only discovery for this process too (unless the environment already says otherwise)."""
    for key, value in launcher.LOOPBACK_ENV.items():
        os.environ.setdefault(key, value)


class LaunchedGraph:
    """``llava-ros launch all`` as a child process, its output in a log file; a context manager."""

    def __init__(self, model: str | Path, seed: int = 0, sets: tuple[str, ...] = (), log_path: str | Path | None = None):
        sets = (f"perception.model_path={Path(model).resolve()}", f"sim.seed={seed}", *sets)
        launcher.commands("all", [], list(sets))  # bad --set values fail here, before anything starts
        args = [a for s in sets for a in ("--set", s)]
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="llava_ros_graph_", suffix=".log")[1])
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "llava_ros.launcher", "all", *args],
                                     env=launcher.child_env(), stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def check(self) -> bool:
        """True while the launcher runs; RuntimeError with the end of its log once it has exited."""
        if self.proc.poll() is not None:
            tail = "".join(self.log_path.read_text(errors="replace").splitlines(keepends=True)[-15:])
            raise RuntimeError(f"the graph exited with status {self.proc.returncode}; "
                               f"end of {self.log_path}:\n{tail}")
        return True

    def stop(self) -> int | None:
        """Ctrl-C the launcher (it stops the nodes) and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(launcher.STOP_GRACE_S + 20.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10.0)
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> "LaunchedGraph":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class PlannerClient:
    """A client node for ``ask_scene``, ``pick_object`` and the sim's ``seed``; a context manager.

    ``keep_images`` > 0 also keeps that many recent camera images, to look up the answered one.
    """

    def __init__(self, name: str = "llava_planner", keep_images: int = 0):
        use_loopback_env()
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.ask_client = self.node.create_client(AskScene, "ask_scene")
        self.pick_client = self.node.create_client(PickObject, "pick_object")
        self.sim_params = AsyncParameterClient(self.node, SIM_NODE)
        self.last_frame_s = 0.0  # stamp of the newest camera_pose (published last of a frame's four)
        self.node.create_subscription(PoseStamped, "camera_pose", self._on_pose, SENSOR_QOS)
        self.images: deque[Image] = deque(maxlen=max(1, keep_images))
        if keep_images:
            self.node.create_subscription(Image, "image", lambda msg: self.images.append(msg), SENSOR_QOS)
        self.spinner = Spinner([self.node], context=self.context, num_threads=4)

    def _on_pose(self, msg: PoseStamped) -> None:
        self.last_frame_s = max(self.last_frame_s, stamp_s(msg))

    def now_s(self) -> float:
        return self.node.get_clock().now().nanoseconds * 1e-9

    # ---- graph ------------------------------------------------------------------------------

    def wait_for_graph(self, graph: LaunchedGraph | None = None, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until both services are matched and a camera frame has arrived."""
        alive = graph.check if graph else (lambda: True)
        for client, what in ((self.ask_client, "the perception node's ask_scene"),
                             (self.pick_client, "the sim's pick_object")):
            wait_for(lambda: alive() and client.wait_for_service(timeout_sec=0.1), timeout, what)
        wait_for(lambda: alive() and self.last_frame_s > 0, timeout, "a camera frame from the sim")

    def set_seed(self, seed: int, timeout: float = PICK_TIMEOUT_S) -> float:
        """Build the layout of ``seed`` in the sim; returns a time after which frames show it."""
        wait_for(lambda: self.sim_params.wait_for_services(timeout_sec=0.1), START_TIMEOUT_S,
                 f"the parameter services of {SIM_NODE}")
        future = self.sim_params.set_parameters([Parameter("seed", value=int(seed))])
        wait_for(future.done, timeout, f"{SIM_NODE} to build the layout of seed {seed}")
        result = future.result().results[0]
        if not result.successful:
            raise RuntimeError(f"{SIM_NODE} refused seed {seed}: {result.reason}")
        return self.now_s()  # the sim rebuilt before answering: every later frame shows the new layout

    def wait_for_frame_after(self, t: float, timeout: float = 30.0) -> None:
        wait_for(lambda: self.last_frame_s > t, timeout, "a camera frame newer than the request")

    # ---- services ---------------------------------------------------------------------------

    def ask(self, prompt: str, newer_than: float | None = None, max_new_tokens: int = 0,
            timeout: float = ASK_TIMEOUT_S) -> tuple[AskScene.Response, float]:
        """``ask_scene`` about the latest frame (one stamped after ``newer_than`` if given).

        Retries while the node has no fresh frame yet or is busy; returns the response (check
        ``success``/``error``) and the round-trip time of the call that answered.
        """
        deadline = time.monotonic() + timeout
        while True:
            request = AskScene.Request(prompt=prompt, max_new_tokens=int(max_new_tokens))
            if newer_than is not None:
                self.wait_for_frame_after(newer_than, max(1.0, deadline - time.monotonic()))
                request.max_frame_age_s = float(max(1e-3, self.now_s() - newer_than))
            start = time.perf_counter()
            response = self.ask_client.call(request, timeout_sec=max(1.0, deadline - time.monotonic()))
            seconds = time.perf_counter() - start
            if response is None:
                raise TimeoutError(f"ask_scene gave no answer within {timeout:.0f} s")
            if response.success or not response.error.startswith(RETRY_ERRORS) or time.monotonic() > deadline:
                return response, seconds
            self.wait_for_frame_after(self.last_frame_s, max(1.0, deadline - time.monotonic()))

    def pick(self, target: GroundedObject, timeout: float = PICK_TIMEOUT_S) -> tuple[PickObject.Response, float]:
        start = time.perf_counter()
        response = self.pick_client.call(PickObject.Request(target=target), timeout_sec=timeout)
        if response is None:
            raise TimeoutError(f"pick_object gave no answer within {timeout:.0f} s")
        return response, time.perf_counter() - start

    def image_at(self, stamp, tolerance_s: float = IMAGE_MATCH_TOLERANCE_S) -> Image | None:
        """The kept camera image closest in stamp to ``stamp`` (the one an answer was about), if one lies
        within ``tolerance_s``. Camera topics are best-effort, so the exact frame may never arrive here;
        the scene a planner asks about stands still, so a neighbouring frame shows the same thing."""
        target = stamp.sec + 1e-9 * stamp.nanosec
        gaps = [(abs(stamp_s(m) - target), i) for i, m in enumerate(self.images)]
        if not gaps:
            return None
        gap, index = min(gaps)
        return self.images[index] if gap <= tolerance_s else None

    def close(self) -> None:
        self.spinner.stop()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)

    def __enter__(self) -> "PlannerClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
