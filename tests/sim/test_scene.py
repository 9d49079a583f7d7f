"""Scene, camera and ground truth, rendered for real (headless MuJoCo)."""
import json

import mujoco
import numpy as np
import pytest

from sim import tasks
from sim.camera import Camera, deproject, project
from sim.layout import sample_layout
from sim.scene import SceneConfig, TabletopScene
from tests.sim.conftest import RenderedScene, assert_no_warnings


@pytest.mark.parametrize("name", tasks.names())
def test_every_registered_task_loads_and_steps_without_warnings(name):
    for seed in (0, 1, 2):
        task = tasks.load(name, seed=seed)
        task.step(500)
        assert_no_warnings(task.scene.data)
        assert not task.success(), "nothing was picked yet"
        assert task.instruction


def test_objects_rest_on_the_table_after_settling():
    scene = TabletopScene(sample_layout(3, 6))
    before = np.array([scene.object_position(i) for i in range(6)])
    mujoco.mj_step(scene.model, scene.data, nstep=1000)
    assert_no_warnings(scene.data)
    after = np.array([scene.object_position(i) for i in range(6)])
    assert np.abs(after - before).max() < 0.005, "objects moved while settling"


def test_images_have_the_requested_size_and_types():
    scene = TabletopScene(sample_layout(4), SceneConfig(width=160, height=120))
    with Camera(scene) as cam:
        frame = cam.frame()
    assert frame.rgb.shape == (120, 160, 3) and frame.rgb.dtype == np.uint8
    assert frame.depth.shape == (120, 160) and frame.depth.dtype == np.float32
    assert frame.segmentation.shape == (120, 160)
    assert 0.3 < float(np.median(frame.depth)) < 3.0, "depth is in metres"


def test_same_seed_gives_identical_scene_and_pixels():
    a, b = RenderedScene(9), RenderedScene(9)
    assert a.truth == b.truth
    np.testing.assert_array_equal(a.frame.rgb, b.frame.rgb)
    np.testing.assert_array_equal(a.frame.depth, b.frame.depth)


def test_scene_json_schema(rendered_scenes):
    for r in rendered_scenes:
        truth = json.loads(json.dumps(r.truth))
        assert set(truth) == {"seed", "objects", "camera", "captions"}
        assert set(truth["camera"]) == {"width", "height", "fx", "fy", "cx", "cy", "position_world",
                                        "rotation_world_from_camera"}
        rot = np.array(truth["camera"]["rotation_world_from_camera"])
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-6)
        assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-6)
        for obj in truth["objects"]:
            assert obj["label"] == f"{obj['colour']} {obj['shape']}"
            assert 0.0 <= obj["visible_fraction"] <= 1.0
            assert (obj["bbox_xyxy"] is None) == (obj["visible_fraction"] == 0.0)
        assert truth["captions"] and all(isinstance(c, str) and c for c in truth["captions"])


def test_optical_frame_looks_at_the_table(rendered_scenes):
    pose = rendered_scenes[0].pose
    forward_world = pose.rotation_world_from_camera[:, 2]
    down_world = pose.rotation_world_from_camera[:, 1]
    assert forward_world[2] < -0.3, "camera looks down at the table"
    assert down_world[2] < 0, "image rows grow downward in the world"


def test_object_position_projects_inside_its_box(rendered_scenes):
    checked = 0
    for r in rendered_scenes:
        for obj in r.truth["objects"]:
            if obj["bbox_xyxy"] is None or obj["visible_fraction"] < 0.5:
                continue
            uv = project(r.pose.world_to_camera(np.array(obj["position_world"])), r.intrinsics)[0]
            col, row = np.round(uv).astype(int)
            x1, y1, x2, y2 = obj["bbox_xyxy"]
            assert x1 <= col < x2 and y1 <= row < y2, f"{obj['label']} projects to {uv}, box {obj['bbox_xyxy']}"
            checked += 1
    assert checked >= 15


def test_box_matches_the_segmentation_mask(rendered_scenes):
    r = rendered_scenes[1]
    for i, obj in enumerate(r.truth["objects"]):
        mask = r.frame.segmentation == r.scene.object_geoms[i]
        if obj["bbox_xyxy"] is None:
            assert not mask.any()
            continue
        x1, y1, x2, y2 = obj["bbox_xyxy"]
        assert mask[y1:y2, x1:x2].sum() == mask.sum()
        assert mask[y1, x1:x2].any() and mask[y2 - 1, x1:x2].any()
        assert mask[y1:y2, x1].any() and mask[y1:y2, x2 - 1].any()


def test_deprojected_mask_pixels_land_on_the_visible_surface(rendered_scenes):
    """Each mask pixel's depth, deprojected, lies within 2 cm of where that pixel's ray hits the object."""
    checked = 0
    for r in rendered_scenes:
        m, d = r.scene.model, r.scene.data
        for i, obj in enumerate(r.truth["objects"]):
            rows, cols = np.nonzero(r.frame.segmentation == r.scene.object_geoms[i])
            if rows.size == 0:
                continue
            pick = np.linspace(0, rows.size - 1, min(40, rows.size)).astype(int)
            pts_world = r.pose.camera_to_world(
                deproject(cols[pick], rows[pick], r.frame.depth[rows[pick], cols[pick]], r.intrinsics))
            errors = []
            for p in pts_world:
                direction = p - r.pose.position_world
                direction /= np.linalg.norm(direction)
                geom = np.array([-1], dtype=np.int32)
                dist = mujoco.mj_ray(m, d, r.pose.position_world, direction, None, 1, -1, geom)
                assert geom[0] == r.scene.object_geoms[i], f"ray for {obj['label']} hit geom {geom[0]}"
                errors.append(np.linalg.norm(r.pose.position_world + dist * direction - p))
            assert max(errors) < 0.02, f"{obj['label']}: deprojection error {max(errors):.4f} m"
            # and the mask's mean point lies near the object itself
            centre = np.array(obj["position_world"])
            assert np.linalg.norm(pts_world.mean(axis=0) - centre) < 0.05
            checked += 1
    assert checked >= 15
