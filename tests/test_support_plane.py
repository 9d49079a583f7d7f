"""The support plane found in real sim depth is the table top (world z = 0); no plane in clutter."""
import numpy as np
import pytest

from llava_ros.support_plane import deproject, fit_support_plane
from tests.sim.conftest import RenderedScene


@pytest.fixture(scope="module")
def rendered():
    return [RenderedScene(seed, n) for seed, n in ((2, 6), (23, 4))]


def test_the_plane_is_the_table_top_in_the_camera_frame(rendered):
    for r in rendered:
        plane = fit_support_plane(r.frame.depth, r.intrinsics)
        assert plane is not None
        rotation = r.pose.rotation_world_from_camera
        assert np.degrees(np.arccos(np.clip(rotation @ plane.normal @ np.array([0, 0, 1.0]), -1, 1))) < 1.0
        # The camera's height above the plane is its height above the table top (z = 0).
        assert plane.height(np.zeros(3)) == pytest.approx(r.pose.position_world[2], abs=0.003)
        # Objects stand on it: their centres are above it by about half their height, at least 1.5 cm.
        for obj in r.truth["objects"]:
            centre = r.pose.world_to_camera(np.array(obj["position_world"]))
            assert plane.height(centre) == pytest.approx(obj["position_world"][2], abs=0.003)
            assert plane.height(centre) > 0.015


def test_the_fit_is_deterministic(rendered):
    depth, k = rendered[0].frame.depth, rendered[0].intrinsics
    a, b = fit_support_plane(depth, k), fit_support_plane(depth, k)
    assert np.array_equal(a.normal, b.normal) and a.offset == b.offset


def test_no_plane_when_none_holds_enough_of_the_image(rendered):
    k = rendered[0].intrinsics
    clutter = np.random.default_rng(0).uniform(0.5, 3.0, size=rendered[0].frame.depth.shape)
    assert fit_support_plane(clutter, k) is None
    assert fit_support_plane(np.full((64, 64), np.nan), k) is None


def test_deproject_marks_invalid_depth(rendered):
    k = rendered[0].intrinsics
    depth = np.array([[1.0, np.nan], [0.0, 2.0]])
    points, valid = deproject(depth, k)
    assert valid.tolist() == [[True, False], [False, True]]
    assert points[1, 1] == pytest.approx([(1 - k.cx) * 2 / k.fx, (1 - k.cy) * 2 / k.fy, 2.0])
