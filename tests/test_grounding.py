"""Grounding against the sim's exact ground truth: answer boxes → pixels → 3-D points near the objects."""
import numpy as np
import pytest

from llava_ros.boxes import format_box
from llava_ros.grounding import PinholeIntrinsics, ground, objects_from_answer, point_from_depth
from llava_ros.support_plane import fit_support_plane
from tests.sim.conftest import RenderedScene


@pytest.fixture(scope="module")
def rendered():
    return [RenderedScene(seed, 6) for seed in (2, 11, 30)]


def _answer_for(truth):
    w, h = truth["camera"]["width"], truth["camera"]["height"]
    visible = [o for o in truth["objects"] if o["bbox_xyxy"] is not None]
    return " and ".join(f"the {o['label']} {format_box(o['bbox_xyxy'], w, h)}" for o in visible), visible


def test_answer_boxes_become_pixel_boxes_with_labels(rendered):
    truth = rendered[0].truth
    answer, visible = _answer_for(truth)
    objects = objects_from_answer(answer, truth["camera"]["width"], truth["camera"]["height"])
    assert [o.label for o in objects] == [o["label"] for o in visible]
    for obj, gt in zip(objects, visible):
        assert np.allclose(obj.bbox_xyxy, gt["bbox_xyxy"], atol=0.01 * 336 + 1e-6)
        assert not obj.position_valid


def test_points_from_depth_lie_within_3cm_of_the_objects(rendered):
    checked = 0
    for r in rendered:
        cam = r.truth["camera"]
        k = PinholeIntrinsics(cam["fx"], cam["fy"], cam["cx"], cam["cy"])
        pose = (np.array(cam["rotation_world_from_camera"]), np.array(cam["position_world"]))
        answer, visible = _answer_for(r.truth)
        objects = ground(answer, cam["width"], cam["height"], r.frame.depth, k, pose)
        for obj, gt in zip(objects, visible):
            if gt["visible_fraction"] < 0.6:
                continue
            assert obj.position_valid
            error = np.linalg.norm(obj.point_world - np.array(gt["position_world"]))
            assert error < 0.03, f"{gt['label']}: 3-D point {error * 100:.1f} cm from the object"
            checked += 1
    assert checked >= 12


def _overlaps(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


@pytest.mark.parametrize("shift_x, shift_y, grow", [(0.3, 0.0, 0.2), (0.3, -0.3, 0.2), (-0.3, -0.2, 0.3),
                                                    (0.0, 0.0, 0.5), (0.0, 0.3, 0.2)])
def test_boxes_a_little_off_still_find_the_object_on_the_table(rendered, shift_x, shift_y, grow):
    """A model's box is often shifted or too large: it takes in table beside, behind or in front of the
    object. The object is what stands on the table in the box, so the point stays within 3 cm (the
    median of the box's centre was up to 9 cm off on these boxes)."""
    checked = 0
    for r in rendered:
        cam = r.truth["camera"]
        k = PinholeIntrinsics(cam["fx"], cam["fy"], cam["cx"], cam["cy"])
        rotation, translation = np.array(cam["rotation_world_from_camera"]), np.array(cam["position_world"])
        plane = fit_support_plane(r.frame.depth, k)
        visible = [o for o in r.truth["objects"] if o["bbox_xyxy"] is not None]
        for gt in visible:
            x1, y1, x2, y2 = gt["bbox_xyxy"]
            w, h = x2 - x1, y2 - y1
            box = (x1 + (shift_x - grow) * w, y1 + (shift_y - grow) * h, x2 + (shift_x + grow) * w,
                   y2 + (shift_y + grow) * h)
            if gt["visible_fraction"] < 0.6 or any(_overlaps(box, o["bbox_xyxy"]) for o in visible if o is not gt):
                continue
            point = rotation @ point_from_depth(box, r.frame.depth, k, plane) + translation
            error = np.linalg.norm(point - np.array(gt["position_world"]))
            assert error < 0.03, f"{gt['label']}: 3-D point {error * 100:.1f} cm from the object"
            checked += 1
    assert checked >= 4


def test_without_a_plane_the_front_surface_gives_the_point(rendered):
    checked = 0
    for r in rendered:
        cam = r.truth["camera"]
        k = PinholeIntrinsics(cam["fx"], cam["fy"], cam["cx"], cam["cy"])
        rotation, translation = np.array(cam["rotation_world_from_camera"]), np.array(cam["position_world"])
        for gt in r.truth["objects"]:
            if gt["bbox_xyxy"] is None or gt["visible_fraction"] < 0.6:
                continue
            point = rotation @ point_from_depth(gt["bbox_xyxy"], r.frame.depth, k, plane=None) + translation
            assert np.linalg.norm(point - np.array(gt["position_world"])) < 0.03, gt["label"]
            checked += 1
    assert checked >= 12


def test_missing_depth_in_the_box_marks_the_point_invalid(rendered):
    r = rendered[0]
    cam = r.truth["camera"]
    answer, _ = _answer_for(r.truth)
    depth = np.full_like(r.frame.depth, np.nan)
    objects = ground(answer, cam["width"], cam["height"], depth, PinholeIntrinsics(cam["fx"], cam["fy"], cam["cx"], cam["cy"]))
    assert objects and not any(o.position_valid for o in objects)


def test_depth_of_another_size_is_a_clear_error(rendered):
    cam = rendered[0].truth["camera"]
    with pytest.raises(ValueError, match="depth image is 10x10 but the answered image is 336x336"):
        ground("the red cube [0.1, 0.1, 0.2, 0.2]", 336, 336, np.ones((10, 10), np.float32),
               PinholeIntrinsics(cam["fx"], cam["fy"], cam["cx"], cam["cy"]))


def test_intrinsics_from_camera_info_k():
    k = PinholeIntrinsics.from_k([300, 0, 160, 0, 310, 120, 0, 0, 1])
    assert (k.fx, k.fy, k.cx, k.cy) == (300, 310, 160, 120)
    with pytest.raises(ValueError, match="non-positive focal length"):
        PinholeIntrinsics.from_k([0] * 9)
