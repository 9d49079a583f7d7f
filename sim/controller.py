"""Arm control for the tabletop Panda: IK on the pinch site, computed-torque PD, smooth waypoints.

Three layers, bottom-up:

* :class:`PinchIK` — damped-least-squares inverse kinematics of the gripper's ``pinch`` site
  (position + orientation) with a nullspace pull toward ``HOME_QPOS``. It works on a private
  ``MjData`` so solving never disturbs the simulation.
* :class:`ArmController` — owns the joint targets. Each physics step it applies computed torque
  ``tau = M(q) (Kp e + Kd ė) + qfrc_bias`` (clipped to the motors' ``ctrlrange``); at
  ``ik_rate_hz`` it re-solves IK for the current Cartesian waypoint. :meth:`ArmController.move_to`
  follows a minimum-jerk path in position and a slerp in orientation.
* Gripper: ``fingers_actuator`` (0 open … 255 closed) through :meth:`ArmController.set_gripper`.

A "top-down" orientation points the pinch site's z axis at the table (world −z); ``yaw`` is the
direction (radians about world z, from +x) along which the fingers close — the site's y axis.
References: Buss, "Introduction to Inverse Kinematics with Jacobian Transpose, Pseudoinverse and
Damped Least Squares methods" (2004); Flash & Hogan, "The coordination of arm movements" (1985).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mujoco
import numpy as np

from sim.scene import HOME_QPOS, TabletopScene

GRIPPER_OPEN = 0.0
GRIPPER_CLOSED = 255.0


@dataclass(frozen=True)
class ControllerConfig:
    """Gains and rates. Defaults track 10 cm moves to ~1 mm on the 2 ms scene."""

    kp: float = 400.0               # 1/s^2, joint-space stiffness (natural frequency 20 rad/s)
    kd: float = 40.0                # 1/s, critical damping for kp
    ik_rate_hz: float = 50.0        # how often the joint targets are re-solved
    ik_damping: float = 0.05        # DLS lambda
    ik_iterations: int = 8          # per solve, warm-started from the previous targets
    ik_tolerance: float = 1e-4      # stop when the 6-D error norm falls below this
    ik_max_step: float = 0.2        # rad, per iteration
    orientation_weight: float = 0.5  # metres per radian in the stacked error
    nullspace_gain: float = 0.1     # pull toward HOME_QPOS in the Jacobian's nullspace

    def __post_init__(self) -> None:
        if self.kp <= 0 or self.kd < 0:
            raise ValueError(f"gains must be kp > 0, kd >= 0; got kp={self.kp}, kd={self.kd}")
        if self.ik_rate_hz <= 0:
            raise ValueError(f"ik_rate_hz must be positive, got {self.ik_rate_hz}")


def top_down_quat(yaw: float) -> np.ndarray:
    """Quaternion (w, x, y, z) of a pinch frame with z pointing down and y along ``yaw``."""
    c, s = np.cos(yaw), np.sin(yaw)
    mat = np.array([[-s, c, 0.0],
                    [c, s, 0.0],
                    [0.0, 0.0, -1.0]])  # columns: site x = y × z, site y = closing axis, site z = down
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, mat.ravel())
    return quat


def closing_yaw(site_xmat: np.ndarray) -> float:
    """Yaw (about world z) of a site's y axis, i.e. the direction in which the fingers close."""
    y_axis = np.asarray(site_xmat).reshape(3, 3)[:, 1]
    return float(np.arctan2(y_axis[1], y_axis[0]))


def quat_error(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """World-frame rotation vector taking ``current`` to ``target``."""
    conj = np.zeros(4)
    mujoco.mju_negQuat(conj, current)
    diff = np.zeros(4)
    mujoco.mju_mulQuat(diff, target, conj)
    if diff[0] < 0:  # shortest way round
        diff = -diff
    vel = np.zeros(3)
    mujoco.mju_quat2Vel(vel, diff, 1.0)
    return vel


def slerp(q0: np.ndarray, q1: np.ndarray, s: float) -> np.ndarray:
    """Spherical interpolation between unit quaternions, ``s`` in [0, 1]."""
    q1 = q1 if np.dot(q0, q1) >= 0 else -q1
    rot = np.zeros(3)
    mujoco.mju_subQuat(rot, q1, q0)  # q0 * exp(rot) = q1, rot in q0's frame
    out = q0.copy()
    mujoco.mju_quatIntegrate(out, rot, s)
    return out


def min_jerk(s: float) -> float:
    """Minimum-jerk time scaling: 0 → 1 with zero velocity and acceleration at both ends."""
    s = min(max(s, 0.0), 1.0)
    return s ** 3 * (10.0 - 15.0 * s + 6.0 * s * s)


class PinchIK:
    """Damped-least-squares IK for the pinch site, solved on a scratch copy of the model state."""

    def __init__(self, scene: TabletopScene, cfg: ControllerConfig):
        self.scene = scene
        self.cfg = cfg
        m = scene.model
        self._data = mujoco.MjData(m)
        self._jacp = np.zeros((3, m.nv))
        self._jacr = np.zeros((3, m.nv))
        joints = [m.dof_jntid[a] for a in scene.arm_dof_adr]
        self.lower = m.jnt_range[joints, 0].copy()
        self.upper = m.jnt_range[joints, 1].copy()
        self.home = np.asarray(HOME_QPOS, float)

    def site_pose(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pinch-site position and quaternion for arm joint angles ``q``."""
        d = self._data
        d.qpos[self.scene.arm_qpos_adr] = q
        mujoco.mj_kinematics(self.scene.model, d)
        mujoco.mj_comPos(self.scene.model, d)
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, d.site_xmat[self.scene.pinch_site])
        return d.site_xpos[self.scene.pinch_site].copy(), quat

    def solve(self, q_init: np.ndarray, pos: np.ndarray, quat: np.ndarray) -> tuple[np.ndarray, float]:
        """Joint angles near ``q_init`` that put the pinch site at ``pos`` with orientation ``quat``.

        Returns ``(q, residual)`` where ``residual`` is the position error in metres.
        """
        cfg, m, d = self.cfg, self.scene.model, self._data
        dofs = self.scene.arm_dof_adr
        q = np.clip(np.asarray(q_init, float).copy(), self.lower, self.upper)
        lam2 = cfg.ik_damping ** 2
        for _ in range(cfg.ik_iterations):
            cur_pos, cur_quat = self.site_pose(q)
            err = np.concatenate([pos - cur_pos, cfg.orientation_weight * quat_error(quat, cur_quat)])
            if np.linalg.norm(err) < cfg.ik_tolerance:
                break
            mujoco.mj_jacSite(m, d, self._jacp, self._jacr, self.scene.pinch_site)
            jac = np.vstack([self._jacp[:, dofs], cfg.orientation_weight * self._jacr[:, dofs]])
            jjt = jac @ jac.T + lam2 * np.eye(6)
            dq = jac.T @ np.linalg.solve(jjt, err)
            nullspace = np.eye(len(q)) - np.linalg.pinv(jac, rcond=1e-3) @ jac
            dq += nullspace @ (cfg.nullspace_gain * (self.home - q))
            norm = np.linalg.norm(dq)
            if norm > cfg.ik_max_step:
                dq *= cfg.ik_max_step / norm
            q = np.clip(q + dq, self.lower, self.upper)
        cur_pos, _ = self.site_pose(q)
        return q, float(np.linalg.norm(pos - cur_pos))


class ArmController:
    """Drives the simulated arm: joint targets tracked by computed torque, Cartesian moves via IK.

    ``on_step(data)`` (optional) is called after every physics step; the grasp executor uses it
    for frame capture and bookkeeping.
    """

    def __init__(self, scene: TabletopScene, cfg: ControllerConfig | None = None,
                 on_step: Callable[[mujoco.MjData], None] | None = None):
        self.scene = scene
        self.cfg = cfg or ControllerConfig()
        self.ik = PinchIK(scene, self.cfg)
        self.on_step = on_step
        m = scene.model
        self._ctrl_lo = m.actuator_ctrlrange[scene.arm_actuators, 0].copy()
        self._ctrl_hi = m.actuator_ctrlrange[scene.arm_actuators, 1].copy()
        self._acc = np.zeros(m.nv)
        self._m_acc = np.zeros(m.nv)
        self.steps_per_ik = max(1, round(1.0 / (self.cfg.ik_rate_hz * m.opt.timestep)))
        self.q_target = self.q.copy()
        self.qd_target = np.zeros(len(self.q_target))
        self.max_ik_residual = 0.0

    @property
    def q(self) -> np.ndarray:
        return self.scene.data.qpos[self.scene.arm_qpos_adr].copy()

    @property
    def qd(self) -> np.ndarray:
        return self.scene.data.qvel[self.scene.arm_dof_adr].copy()

    def pinch_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Current world position and quaternion of the pinch site."""
        d = self.scene.data
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, d.site_xmat[self.scene.pinch_site])
        return d.site_xpos[self.scene.pinch_site].copy(), quat

    def set_gripper(self, closed: bool) -> None:
        self.scene.data.ctrl[self.scene.gripper_actuator] = GRIPPER_CLOSED if closed else GRIPPER_OPEN

    def torque(self) -> np.ndarray:
        """Computed-torque PD: ``M(q)(Kp e + Kd ė) + qfrc_bias`` on the arm joints, clipped."""
        m, d, dofs = self.scene.model, self.scene.data, self.scene.arm_dof_adr
        acc = self.cfg.kp * (self.q_target - self.q) + self.cfg.kd * (self.qd_target - self.qd)
        self._acc[:] = 0.0
        self._acc[dofs] = acc
        mujoco.mj_mulM(m, d, self._m_acc, self._acc)  # arm rows of M @ acc (arm-arm block)
        tau = self._m_acc[dofs] + d.qfrc_bias[dofs]
        return np.clip(tau, self._ctrl_lo, self._ctrl_hi)

    def step(self, n: int = 1) -> None:
        """Advance the simulation ``n`` steps holding the current joint targets."""
        m, d = self.scene.model, self.scene.data
        for _ in range(n):
            d.ctrl[self.scene.arm_actuators] = self.torque()
            mujoco.mj_step(m, d)
            if self.on_step is not None:
                self.on_step(d)

    def hold(self, seconds: float) -> None:
        """Keep the current joint targets (zero target velocity) for ``seconds``."""
        self.qd_target[:] = 0.0
        self.step(max(1, round(seconds / self.scene.model.opt.timestep)))

    def move_to(self, pos: np.ndarray, quat: np.ndarray, duration: float) -> None:
        """Move the pinch site to ``pos``/``quat`` along a minimum-jerk path lasting ``duration`` s.

        The path starts from the current IK target pose, so consecutive moves chain smoothly.
        """
        start_pos, start_quat = self.ik.site_pose(self.q_target)
        pos = np.asarray(pos, float)
        tick = self.steps_per_ik * self.scene.model.opt.timestep
        n_ticks = max(1, int(np.ceil(duration / tick)))
        for k in range(1, n_ticks + 1):
            s = min_jerk(k / n_ticks)
            way_pos = start_pos + s * (pos - start_pos)
            way_quat = slerp(start_quat, np.asarray(quat, float), s)
            q_new, residual = self.ik.solve(self.q_target, way_pos, way_quat)
            self.max_ik_residual = max(self.max_ik_residual, residual)
            q_prev = self.q_target
            self.qd_target = (q_new - q_prev) / tick
            for i in range(1, self.steps_per_ik + 1):  # linear in joint space within a tick
                self.q_target = q_prev + (i / self.steps_per_ik) * (q_new - q_prev)
                self.step()
        self.qd_target[:] = 0.0
