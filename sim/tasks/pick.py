"""``pick``: lift the object named by a label ("pick up the red cube")."""
from __future__ import annotations

import mujoco
import numpy as np

from sim.layout import sample_layout
from sim.scene import SceneConfig, TabletopScene
from sim.tasks import register

LIFT_SUCCESS_M = 0.08


@register("pick")
class PickTask:
    """Pick the object ``label`` (or, without one, an object drawn from the seed).

    Success: the target rose at least 8 cm above where it rested. Objects cannot float and none is
    taller than 8 cm, so an object that high is held by the gripper.
    """

    name: str

    def __init__(self, label: str | None = None, n_objects: int | None = None,
                 config: SceneConfig | None = None):
        self.label = label
        self.n_objects = n_objects
        self.config = config or SceneConfig()
        self.scene: TabletopScene | None = None
        self.target_index = -1
        self._rest_z = 0.0

    def reset(self, seed: int) -> str:
        layout = sample_layout(seed, self.n_objects)
        self.scene = TabletopScene(layout, self.config)
        if self.label is None:
            self.target_index = int(np.random.default_rng(seed).integers(len(layout.objects)))
        else:
            self.target_index = self.scene.index_of(self.label)
        self._rest_z = float(self.scene.object_position(self.target_index)[2])
        return self.instruction

    @property
    def target_label(self) -> str:
        return self.scene.layout.objects[self.target_index].label

    @property
    def instruction(self) -> str:
        return f"pick up the {self.target_label}"

    def step(self, n: int = 1) -> None:
        mujoco.mj_step(self.scene.model, self.scene.data, nstep=n)

    def lift(self) -> float:
        return float(self.scene.object_position(self.target_index)[2]) - self._rest_z

    def success(self) -> bool:
        return self.lift() >= LIFT_SUCCESS_M
