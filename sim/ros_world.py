"""The sim ROS node's world: scene, camera and grasp executor owned by one thread (no ROS here).

Physics, rendering and picks all run on that thread, so they never overlap (it is the one lock),
and the EGL context stays on the thread that created it. Between frames the arm holds its pose
while physics steps for the wall time that passed (real time); a pick runs faster than real time
and no frames are rendered while it runs. Other threads run code on it with :meth:`SimWorld.call`.

    world = SimWorld(seed=3, cfg=SceneConfig(), rate_hz=5.0, on_frame=print)
    result = world.call(lambda: world.pick(world.scene.object_centre(0)))
    world.stop()
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from sim.camera import Camera, CameraPose, Intrinsics
from sim.controller import ArmController
from sim.grasp import GraspExecutor, GraspResult
from sim.ground_truth import scene_ground_truth
from sim.layout import sample_layout
from sim.scene import SceneConfig, TabletopScene

MAX_STEP_S = 0.5  # physics catches up at most this much sim time per frame


@dataclass
class SimFrame:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metres, planar z
    intrinsics: Intrinsics
    pose: CameraPose  # world pose of the optical frame
    sim_time_s: float


class SimWorld:
    def __init__(self, seed: int, cfg: SceneConfig, rate_hz: float, on_frame: Callable[[SimFrame], None],
                 on_error: Callable[[str], None] = print):
        self.cfg, self.rate_hz, self.on_frame, self.on_error = cfg, rate_hz, on_frame, on_error
        self.scene: TabletopScene | None = None
        self.camera: Camera | None = None
        self.seed = seed
        self._calls: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llava_sim_world", daemon=True)
        self._thread.start()
        self.call(lambda: self.build(seed))

    # ---- any thread -------------------------------------------------------------------------

    def call(self, fn: Callable[[], Any], timeout: float | None = None) -> Any:
        """Run ``fn()`` on the world thread between frames and return its result (or raise its error)."""
        if threading.current_thread() is self._thread:
            return fn()
        if self._stopping.is_set():
            raise RuntimeError("the sim world is stopped")
        future: Future = Future()
        self._calls.put((fn, future))
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._calls.put((None, None))
        self._thread.join(timeout)

    # ---- world thread only ------------------------------------------------------------------

    def build(self, seed: int) -> None:
        """A fresh scene for the layout of ``seed`` (also restores a disturbed scene)."""
        scene = TabletopScene(sample_layout(seed), self.cfg)
        if self.camera is not None:
            self.camera.close()
        self.scene, self.seed = scene, seed
        self.camera = Camera(scene)
        self.grasp = GraspExecutor(scene)
        self.arm = ArmController(scene)

    def pick(self, point_world: np.ndarray, yaw: float | None = None) -> GraspResult:
        """Pick at a world point (raises ``GraspRefused`` before moving); the arm then holds its pose."""
        result = self.grasp.pick(point_world, yaw)
        self.arm.q_target = self.arm.q
        self.arm.qd_target[:] = 0.0
        return result

    def ground_truth(self) -> dict:
        """``scene.json`` of the current state (see :mod:`sim.ground_truth`)."""
        return scene_ground_truth(self.scene, self.camera, self.camera.frame())

    def render(self) -> SimFrame:
        cam = self.camera
        return SimFrame(cam.rgb(), cam.depth(), cam.intrinsics, cam.pose(), float(self.scene.data.time))

    def _run(self) -> None:
        next_frame = last_step = time.monotonic()
        while not self._stopping.is_set():
            try:
                fn, future = self._calls.get(timeout=max(0.0, next_frame - time.monotonic()))
            except queue.Empty:
                fn, future = None, None
            if future is not None:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as err:  # noqa: BLE001 - handed to the caller
                        future.set_exception(err)
                continue
            if fn is None and self._stopping.is_set():
                break
            now = time.monotonic()
            if self.scene is None or now < next_frame:
                continue
            try:
                self.arm.hold(min(max(now - last_step, self.scene.model.opt.timestep), MAX_STEP_S))
                last_step = time.monotonic()
                self.on_frame(self.render())
            except Exception as err:  # noqa: BLE001 - keep simulating; report the problem
                self.on_error(f"sim frame failed: {type(err).__name__}: {err}")
            next_frame = max(next_frame + 1.0 / self.rate_hz, time.monotonic())
        if self.camera is not None:
            self.camera.close()
