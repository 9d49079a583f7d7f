"""The IK grasp executor, on real MuJoCo (no mocks): scripted picks, refusals, controller parts."""
import math

import mujoco
import numpy as np
import pytest

from sim.controller import ArmController, PinchIK, ControllerConfig, min_jerk, top_down_quat
from sim.grasp import (GraspExecutor, GraspRefused, InvalidTarget, NoObjectNearTarget,
                       TargetOutOfWorkspace, free_space_yaw)
from sim.layout import sample_layout
from sim.scene import HOME_QPOS, TabletopScene
from tests.sim.conftest import assert_no_warnings

PICK_SEEDS = range(40)
REQUIRED_SUCCESSES = 38  # 95 %


def intended_object(scene: TabletopScene, seed: int) -> int:
    """A random (but seeded) object of the layout to pick."""
    return int(np.random.default_rng(10_000 + seed).integers(len(scene.layout.objects)))


def test_scripted_pick_succeeds_on_40_layouts_and_lifts_the_intended_object():
    successes, failures = 0, []
    for seed in PICK_SEEDS:
        scene = TabletopScene(sample_layout(seed))
        index = intended_object(scene, seed)
        label = scene.layout.objects[index].label
        result = GraspExecutor(scene).pick(scene.object_centre(index))
        assert_no_warnings(scene.data)
        if result.picked_label is not None:
            assert result.picked_label == label, f"seed {seed}: aimed at the {label}, lifted the {result.picked_label}"
        if result.success:
            successes += 1
            assert result.lift_m >= 0.08 and result.ik_residual_m < 0.005
        else:
            failures.append(f"seed {seed} {label}: {result.message}")
    print(f"\nscripted pick success: {successes}/{len(PICK_SEEDS)} = {successes / len(PICK_SEEDS):.0%}")
    assert successes >= REQUIRED_SUCCESSES, failures


def test_pick_with_a_yaw_aligned_to_a_cube_succeeds():
    seed = next(s for s in range(100) if any(o.spec.shape == "cube" for o in sample_layout(s).objects))
    scene = TabletopScene(sample_layout(seed))
    index = next(i for i, o in enumerate(scene.layout.objects) if o.spec.shape == "cube")
    cube = scene.layout.objects[index]
    result = GraspExecutor(scene).pick(scene.object_centre(index), yaw=cube.yaw)
    assert_no_warnings(scene.data)
    assert result.success and result.picked_label == cube.label, result.message


def test_on_step_frames_and_phases_are_reported():
    scene = TabletopScene(sample_layout(5))
    phases, calls = [], []

    def on_step(data: mujoco.MjData):
        calls.append(data.time)
        return len(calls) if len(calls) % 2 else None  # None is not kept

    result = GraspExecutor(scene).pick(scene.object_centre(0), on_step=on_step, step_every=100,
                                       on_phase=phases.append)
    steps = round(result.sim_time_s / scene.model.opt.timestep)
    assert len(calls) == steps // 100
    assert result.frames == list(range(1, len(calls) + 1, 2))
    assert phases == ["approach", "descend", "close", "lift", "hold"]


@pytest.fixture(scope="module")
def still_scene() -> TabletopScene:
    """One scene for the refusal tests; none of them may move it."""
    return TabletopScene(sample_layout(7))


def _snapshot(scene: TabletopScene) -> tuple[np.ndarray, float]:
    return scene.data.qpos.copy(), scene.data.time


@pytest.mark.parametrize("target, error, names", [
    ([2.0, 0.0, 0.1], TargetOutOfWorkspace, "x=2.000"),
    ([0.5, 0.0, -0.5], TargetOutOfWorkspace, "z=-0.500"),
    ([0.5, 0.9, 0.02], TargetOutOfWorkspace, "y=0.900"),
    ([0.74, 0.34, 0.02], TargetOutOfWorkspace, "horizontal distance 0.814"),
    ([float("nan"), 0.0, 0.1], InvalidTarget, "nan"),
    ([0.5, float("inf"), 0.1], InvalidTarget, "inf"),
    ([0.5, 0.0], InvalidTarget, "3 coordinates"),
    ("here", InvalidTarget, "'here'"),
])
def test_bad_targets_are_refused_before_the_arm_moves(still_scene, target, error, names):
    before = _snapshot(still_scene)
    with pytest.raises(error, match=names.replace(".", r"\.")) as caught:
        GraspExecutor(still_scene).pick(target)
    assert isinstance(caught.value, GraspRefused) and isinstance(caught.value, ValueError)
    after = _snapshot(still_scene)
    assert np.array_equal(before[0], after[0]) and before[1] == after[1]


def test_a_point_on_empty_table_is_refused_with_the_nearest_object(still_scene):
    centres = np.array([still_scene.object_centre(i)[:2] for i in range(len(still_scene.object_bodies))])
    grid = [np.array([x, y, 0.02]) for x in np.linspace(0.32, 0.72, 21) for y in np.linspace(-0.3, 0.3, 31)]
    empty = max(grid, key=lambda p: np.linalg.norm(centres - p[:2], axis=1).min())
    gaps = np.linalg.norm(centres - empty[:2], axis=1)
    assert gaps.min() > 0.06, "layout 7 should leave some empty table"
    nearest = still_scene.layout.objects[int(np.argmin(gaps))].label
    before = _snapshot(still_scene)
    with pytest.raises(NoObjectNearTarget, match=rf"no object near \[.*\]; nearest is the {nearest} at "
                                                 rf"{100 * gaps.min():.1f} cm"):
        GraspExecutor(still_scene).pick(empty)
    assert np.array_equal(before[0], still_scene.data.qpos) and before[1] == still_scene.data.time


def test_non_finite_yaw_is_refused(still_scene):
    with pytest.raises(InvalidTarget, match="yaw nan"):
        GraspExecutor(still_scene).pick(still_scene.object_centre(0), yaw=float("nan"))


def test_free_space_yaw_keeps_the_fingers_off_a_close_neighbour():
    target = np.array([0.5, 0.0])
    assert free_space_yaw(target, [], enough=0.04) == pytest.approx(math.pi / 2)  # home closing axis
    # A neighbour straight along the home closing axis (+y): turn until both fingertips clear it...
    neighbour = [(np.array([0.5, 0.09]), 0.03)]
    yaw = free_space_yaw(target, neighbour, enough=0.04)
    tips = [target + sign * 0.05 * np.array([math.cos(yaw), math.sin(yaw)]) for sign in (1, -1)]
    assert min(np.linalg.norm(tip - neighbour[0][0]) - 0.03 for tip in tips) >= 0.04
    # ...and with no "good enough" cap, close perpendicular to the neighbour (along x).
    assert abs(math.cos(free_space_yaw(target, neighbour, enough=1.0))) > 0.99


def test_ik_reaches_a_top_down_pose_and_the_arm_tracks_it():
    scene = TabletopScene(sample_layout(0))
    ik = PinchIK(scene, ControllerConfig(ik_iterations=100))
    goal, quat = np.array([0.55, 0.1, 0.1]), top_down_quat(0.3)
    q, residual = ik.solve(np.array(HOME_QPOS), goal, quat)
    assert residual < 1e-3
    arm = ArmController(scene)
    arm.move_to(goal, quat, duration=1.0)
    arm.hold(0.3)
    pos, _ = arm.pinch_pose()
    z_axis = scene.data.site_xmat[scene.pinch_site].reshape(3, 3)[:, 2]
    assert np.linalg.norm(pos - goal) < 3e-3
    assert z_axis[2] < -0.999  # pointing straight down
    limits = scene.model.actuator_ctrlrange[scene.arm_actuators, 1]
    assert np.all(np.abs(scene.data.ctrl[scene.arm_actuators]) <= limits)
    assert_no_warnings(scene.data)


def test_min_jerk_starts_and_ends_at_rest():
    assert min_jerk(0.0) == 0.0 and min_jerk(1.0) == 1.0 and min_jerk(0.5) == pytest.approx(0.5)
    eps = 1e-4
    assert min_jerk(eps) / eps < 1e-6 and (1 - min_jerk(1 - eps)) / eps < 1e-6
