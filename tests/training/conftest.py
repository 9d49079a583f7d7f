"""Scenes rendered by the real sim, shared by the training-data tests."""
import copy

import pytest

from training.data.generate import render_seed

SEEDS = (0, 1, 2, 9)
SIZED_SEEDS = (3, 7, 12)  # scenes with two or three objects of a shape, or of a colour, in both sizes


@pytest.fixture(scope="session")
def truths() -> list[dict]:
    """Ground truth of a few rendered training seeds (336 × 336, the default)."""
    return [render_seed(seed, 336, 336)[1] for seed in SEEDS]


@pytest.fixture(scope="session")
def sized_truths() -> list[dict]:
    """Rendered scenes where a reference must name a size to single an object out ("the small cube")."""
    return [render_seed(seed, 336, 336)[1] for seed in SIZED_SEEDS]


@pytest.fixture(scope="session")
def edge_truths(truths) -> list[dict]:
    """Real scenes edited into edge cases the seeds above lack: an object hidden from the camera,
    a partly visible one, a single visible object, and an empty table."""
    hidden = copy.deepcopy(truths[2])
    hidden["objects"][0].update(bbox_xyxy=None, visible_fraction=0.0)
    hidden["objects"][1]["visible_fraction"] = 0.4
    single = copy.deepcopy(truths[1])
    for obj in single["objects"][1:]:
        obj.update(bbox_xyxy=None, visible_fraction=0.0)
    empty = copy.deepcopy(truths[0])
    for obj in empty["objects"]:
        obj.update(bbox_xyxy=None, visible_fraction=0.0)
    return [hidden, single, empty]
