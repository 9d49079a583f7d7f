import mujoco
import numpy as np
import pytest

from sim.camera import Camera
from sim.ground_truth import scene_ground_truth
from sim.layout import sample_layout
from sim.scene import TabletopScene


def assert_no_warnings(data: mujoco.MjData) -> None:
    """MuJoCo warnings are errors in this suite."""
    raised = {mujoco.mjtWarning(i).name: int(w.number) for i, w in enumerate(data.warning) if w.number}
    assert not raised, f"MuJoCo warnings: {raised}"


class RenderedScene:
    def __init__(self, seed: int, n_objects: int | None = None):
        self.scene = TabletopScene(sample_layout(seed, n_objects))
        with Camera(self.scene) as cam:
            self.intrinsics = cam.intrinsics
            self.pose = cam.pose()
            self.frame = cam.frame()
            self.truth = scene_ground_truth(self.scene, cam, self.frame)


@pytest.fixture(scope="session")
def rendered_scenes() -> list[RenderedScene]:
    """A few rendered layouts (including crowded ones), shared by the geometry tests."""
    return [RenderedScene(seed, n) for seed, n in [(1, None), (2, 6), (11, 6), (23, 4), (42, None)]]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
