"""Pick an object at a 3-D point: the grasp executor of the tabletop sim.

``GraspExecutor(scene).pick(target)`` validates the point, then runs a scripted top-down grasp
with :class:`sim.controller.ArmController`: approach above the point, descend until the pinch site
is at the point's height (never so low that the closing fingers hit the table), close, lift 10 cm
and hold. The executor aims only at the point it is given; the scene's ground truth is used to
refuse points that are unreachable or near no object, to keep the open fingers off neighbouring
objects when no yaw is given (as a depth map would), and to report what was actually lifted.

Example::

    scene = TabletopScene(sample_layout(3))
    result = GraspExecutor(scene).pick(scene.object_centre(0))
    print(result.success, result.picked_label, f"{result.lift_m:.3f} m")
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import mujoco
import numpy as np

from sim.controller import ArmController, ControllerConfig, closing_yaw, top_down_quat
from sim.scene import TabletopScene

GRIPPER_BASE_BODY = "base"  # the 2F-85's base; every finger body descends from it
OPEN_FINGER_REACH = 0.05    # m from the pinch axis to the outer face of an open pad
HOME_CLOSING_YAW = math.pi / 2  # the fingers close along world y at HOME_QPOS
IK_REACHED_M = 0.005  # an IK residual above this means the path left the reachable set


class GraspRefused(ValueError):
    """The target was rejected before the arm moved."""


class InvalidTarget(GraspRefused):
    """The target is not three finite numbers (or the yaw is not finite)."""


class TargetOutOfWorkspace(GraspRefused):
    """The target lies outside the box the arm can grasp in."""


class NoObjectNearTarget(GraspRefused):
    """No object's centre is within ``near_radius`` (horizontally) of the target."""


@dataclass(frozen=True)
class Workspace:
    """Where top-down grasps are allowed (world frame, metres; robot base at the origin)."""

    x: tuple[float, float] = (0.30, 0.75)
    y: tuple[float, float] = (-0.35, 0.35)
    z: tuple[float, float] = (-0.01, 0.25)
    max_radius: float = 0.78  # horizontal distance from the base axis

    def violation(self, p: np.ndarray) -> str | None:
        """Why ``p`` is outside, or None if it is inside."""
        for axis, value, (lo, hi) in zip("xyz", p, (self.x, self.y, self.z)):
            if not lo <= value <= hi:
                return f"{axis}={value:.3f} outside [{lo}, {hi}]"
        radius = math.hypot(p[0], p[1])
        if radius > self.max_radius:
            return f"horizontal distance {radius:.3f} m from the base exceeds {self.max_radius} m"
        return None


@dataclass(frozen=True)
class GraspConfig:
    """Timings (simulated seconds) and geometry of the scripted grasp."""

    workspace: Workspace = field(default_factory=Workspace)
    near_radius: float = 0.04      # an object centre must be this close (horizontally) to the target
    min_pinch_z: float = 0.02      # closed pads reach ~1.8 cm below the pinch site
    approach_height: float = 0.12  # above the grasp point
    lift_height: float = 0.10
    success_lift: float = 0.08
    move_s: float = 0.8
    descend_s: float = 0.6
    settle_s: float = 0.1
    close_s: float = 0.45
    lift_s: float = 0.6
    hold_s: float = 0.5
    neighbour_clearance: float = 0.04  # yaw search: clearance that counts as "free enough"
    controller: ControllerConfig = field(default_factory=ControllerConfig)


@dataclass
class GraspResult:
    """What a pick did. ``frames`` holds whatever ``on_step`` returned (if not None)."""

    success: bool
    lift_m: float
    picked_label: str | None
    message: str
    target: np.ndarray
    grasp_point: np.ndarray
    yaw: float
    sim_time_s: float
    ik_residual_m: float  # worst IK position error along the path (unreachable if large)
    frames: list[Any] = field(default_factory=list)


def free_space_yaw(target_xy: np.ndarray, obstacles: list[tuple[np.ndarray, float]],
                   enough: float, preferred: float = HOME_CLOSING_YAW) -> float:
    """Closing direction whose open fingertips keep clear of ``obstacles`` ((centre_xy, radius)).

    Clearance is capped at ``enough``; among the best candidates the one nearest ``preferred``
    (modulo pi) wins, so an uncluttered target keeps the home wrist angle.
    """
    candidates = preferred + np.deg2rad(np.arange(-90, 90, 5))
    best_yaw, best_score, best_turn = preferred, -np.inf, np.inf
    for yaw in candidates:
        axis = np.array([np.cos(yaw), np.sin(yaw)])
        clearance = enough
        for centre, radius in obstacles:
            for tip in (target_xy + OPEN_FINGER_REACH * axis, target_xy - OPEN_FINGER_REACH * axis):
                clearance = min(clearance, float(np.linalg.norm(tip - centre)) - radius)
        turn = abs(yaw - preferred)
        if clearance > best_score + 1e-9 or (abs(clearance - best_score) <= 1e-9 and turn < best_turn):
            best_yaw, best_score, best_turn = float(yaw), clearance, turn
    return best_yaw


class GraspExecutor:
    """Scripted top-down picks on a :class:`TabletopScene`."""

    def __init__(self, scene: TabletopScene, cfg: GraspConfig | None = None):
        self.scene = scene
        self.cfg = cfg or GraspConfig()
        self.gripper_geoms = self._gripper_geoms()

    # ---- validation -------------------------------------------------------------------------

    def validate(self, target: Any, yaw: float | None = None) -> np.ndarray:
        """The target as a float array, or a :class:`GraspRefused` naming what is wrong."""
        try:
            p = np.asarray(target, dtype=float).reshape(-1)
        except (TypeError, ValueError) as err:
            raise InvalidTarget(f"target {target!r} is not three numbers") from err
        if p.shape != (3,):
            raise InvalidTarget(f"target {target!r} must have 3 coordinates, got {p.size}")
        if not np.all(np.isfinite(p)):
            raise InvalidTarget(f"target {_fmt(p)} has non-finite coordinates")
        if yaw is not None and not math.isfinite(yaw):
            raise InvalidTarget(f"yaw {yaw!r} is not finite")
        why = self.cfg.workspace.violation(p)
        if why is not None:
            raise TargetOutOfWorkspace(f"target {_fmt(p)} is outside the workspace: {why}")
        index, dist = self.nearest_object(p)
        if dist > self.cfg.near_radius:
            label = self.scene.layout.objects[index].label if index is not None else "none"
            raise NoObjectNearTarget(
                f"no object near {_fmt(p)}; nearest is the {label} at {100 * dist:.1f} cm "
                f"(limit {100 * self.cfg.near_radius:.1f} cm)")
        return p

    def nearest_object(self, p: np.ndarray) -> tuple[int | None, float]:
        """Index of the object whose centre is horizontally nearest ``p``, and that distance."""
        best, best_dist = None, math.inf
        for i in range(len(self.scene.object_bodies)):
            dist = float(np.linalg.norm(self.scene.object_centre(i)[:2] - p[:2]))
            if dist < best_dist:
                best, best_dist = i, dist
        return best, best_dist

    # ---- the pick ---------------------------------------------------------------------------

    def pick(self, target: Any, yaw: float | None = None,
             on_step: Callable[[mujoco.MjData], Any] | None = None, step_every: int = 25,
             on_phase: Callable[[str], None] | None = None) -> GraspResult:
        """Grasp whatever is at ``target`` (world xyz, metres) and lift it.

        ``yaw``: direction (radians about world z, from +x) in which the fingers close; equivalent
        modulo pi. None picks a direction whose open fingers avoid neighbouring objects.
        ``on_step(data)`` is called every ``step_every`` physics steps; its non-None return values
        (e.g. rendered images) are returned in ``GraspResult.frames``. ``on_phase(name)`` reports
        progress: approach, descend, close, lift, hold.
        Raises :class:`GraspRefused` (a ``ValueError``) before moving if the target is invalid.
        """
        p = self.validate(target, yaw)
        cfg, scene = self.cfg, self.scene
        if step_every < 1:
            raise ValueError(f"step_every must be >= 1, got {step_every}")
        if yaw is None:
            yaw = self._free_space_yaw(p)
        frames: list[Any] = []
        counter = {"n": 0}

        def step_hook(data: mujoco.MjData) -> None:
            counter["n"] += 1
            if on_step is not None and counter["n"] % step_every == 0:
                frame = on_step(data)
                if frame is not None:
                    frames.append(frame)

        def phase(name: str) -> None:
            if on_phase is not None:
                on_phase(name)

        arm = ArmController(scene, cfg.controller, on_step=step_hook)
        quat = self._grasp_quat(arm, yaw)
        grasp = np.array([p[0], p[1], max(p[2], cfg.min_pinch_z)])
        above = grasp + np.array([0.0, 0.0, cfg.approach_height])
        start_z = np.array([scene.object_position(i)[2] for i in range(len(scene.object_bodies))])
        warnings_before = _warning_counts(scene.data)
        t0 = scene.data.time

        arm.set_gripper(closed=False)
        phase("approach")
        arm.move_to(above, quat, cfg.move_s)
        phase("descend")
        arm.move_to(grasp, quat, cfg.descend_s)
        arm.hold(cfg.settle_s)
        phase("close")
        arm.set_gripper(closed=True)
        arm.hold(cfg.close_s)
        phase("lift")
        arm.move_to(grasp + np.array([0.0, 0.0, cfg.lift_height]), quat, cfg.lift_s)
        phase("hold")
        arm.hold(cfg.hold_s)

        result = self._evaluate(p, grasp, yaw, start_z, warnings_before, scene.data.time - t0, frames)
        result.ik_residual_m = arm.max_ik_residual
        if not result.success and arm.max_ik_residual > IK_REACHED_M:
            result.message += f"; IK missed the path by up to {100 * arm.max_ik_residual:.1f} cm"
        return result

    # ---- helpers ----------------------------------------------------------------------------

    def _free_space_yaw(self, p: np.ndarray) -> float:
        target_index, _ = self.nearest_object(p)
        obstacles = [(self.scene.object_centre(i)[:2], obj.spec.footprint_radius)
                     for i, obj in enumerate(self.scene.layout.objects) if i != target_index]
        return free_space_yaw(p[:2], obstacles, self.cfg.neighbour_clearance)

    @staticmethod
    def _grasp_quat(arm: ArmController, yaw: float) -> np.ndarray:
        """Top-down orientation closing along ``yaw`` or ``yaw + pi``, whichever needs less wrist turn."""
        current = closing_yaw(arm.scene.data.site_xmat[arm.scene.pinch_site])
        turn = (yaw - current + math.pi / 2) % math.pi - math.pi / 2  # in [-pi/2, pi/2)
        return top_down_quat(current + turn)

    def _gripper_geoms(self) -> set[int]:
        m = self.scene.model
        base = m.body(GRIPPER_BASE_BODY).id
        geoms = set()
        for g in range(m.ngeom):
            body = m.geom_bodyid[g]
            while body not in (0, base):
                body = m.body_parentid[body]
            if body == base and (m.geom_contype[g] or m.geom_conaffinity[g]):
                geoms.add(g)
        return geoms

    def _touches_gripper(self, index: int) -> bool:
        d, geom = self.scene.data, self.scene.object_geoms[index]
        for c in d.contact[: d.ncon]:
            other = c.geom2 if c.geom1 == geom else c.geom1 if c.geom2 == geom else None
            if other is not None and other in self.gripper_geoms:
                return True
        return False

    def _evaluate(self, p: np.ndarray, grasp: np.ndarray, yaw: float, start_z: np.ndarray,
                  warnings_before: np.ndarray, sim_time: float, frames: list[Any]) -> GraspResult:
        scene, cfg = self.scene, self.cfg
        rises = np.array([scene.object_position(i)[2] for i in range(len(start_z))]) - start_z
        best = int(np.argmax(rises))
        lift = float(rises[best])
        picked = scene.layout.objects[best].label if lift >= cfg.success_lift else None
        new_warnings = _warning_counts(scene.data) - warnings_before
        if np.any(new_warnings):
            names = [mujoco.mjtWarning(i).name for i in np.flatnonzero(new_warnings)]
            success, message = False, f"simulation warnings during the pick: {names}"
        elif picked is None:
            success, message = False, f"nothing lifted: highest rise {100 * lift:.1f} cm " \
                                      f"< {100 * cfg.success_lift:.0f} cm"
        elif not self._touches_gripper(best):
            success, message = False, f"the {picked} rose {100 * lift:.1f} cm but is not held"
        else:
            success, message = True, f"picked the {picked}: lifted {100 * lift:.1f} cm"
        return GraspResult(success=success, lift_m=lift, picked_label=picked, message=message,
                           target=p, grasp_point=grasp, yaw=yaw, sim_time_s=sim_time,
                           ik_residual_m=0.0, frames=frames)


def _warning_counts(data: mujoco.MjData) -> np.ndarray:
    return np.array([w.number for w in data.warning])


def _fmt(p: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in p) + "]"
