"""Build the tabletop scene for a layout: the robot, a table, lights, the front camera and objects.

The robot's MJCF comes from the installed ``gym-hil`` package (see :mod:`sim.assets`); everything
else is added with ``mujoco.MjSpec``. The robot base stands at the world origin on the table top
(z = 0); objects stand in front of it (+x). One model is compiled per layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

from sim.assets import robot_xml
from sim.layout import Layout, PlacedObject

ARM_JOINTS = tuple(f"joint{i}" for i in range(1, 8))
ARM_ACTUATORS = tuple(f"actuator{i}" for i in range(1, 8))
GRIPPER_ACTUATOR = "fingers_actuator"
PINCH_SITE = "pinch"
HOME_QPOS = (0.0, -0.3, 0.0, -2.2, 0.0, 1.95, 0.785)
TABLE_SIZE = (0.55, 0.65, 0.02)  # half extents; top surface at z = 0
TABLE_CENTRE_X = 0.35
CAMERA_NAME = "front"
OBJECT_GROUP = 0
TABLE_GROUP = 1


@dataclass(frozen=True)
class SceneConfig:
    """Rendering and camera settings. Shadows and multisampling are off by default (speed)."""

    width: int = 336
    height: int = 336
    fovy_deg: float = 42.0
    camera_pos: tuple[float, float, float] = (1.10, 0.0, 0.68)
    camera_target: tuple[float, float, float] = (0.50, 0.0, 0.0)
    shadows: bool = False
    multisamples: int = 0
    timestep: float = 0.002
    extra_offscreen: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.width < 16 or self.height < 16 or self.width > 4096 or self.height > 4096:
            raise ValueError(f"image size {self.width}x{self.height} outside [16, 4096]")
        if not 1.0 < self.fovy_deg < 170.0:
            raise ValueError(f"fovy_deg {self.fovy_deg} outside (1, 170)")


def object_name(index: int) -> str:
    return f"object/{index}"


def look_at_quat(pos: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """MuJoCo camera orientation (looks along its −z, +y up) that points ``pos`` at ``target``."""
    back = np.asarray(pos, float) - np.asarray(target, float)
    back /= np.linalg.norm(back)
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    cam_up = np.cross(back, right)
    mat = np.stack([right, cam_up, back], axis=1)  # columns: camera x, y, z in world
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, mat.ravel())
    return quat


def _add_environment(spec: mujoco.MjSpec, cfg: SceneConfig) -> None:
    spec.option.timestep = cfg.timestep
    spec.option.noslip_iterations = 5
    # Elliptic friction cones: with pyramidal cones a cone gripped by its sloped side slides out of the pads.
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.visual.global_.offwidth = max(cfg.width, 640)
    spec.visual.global_.offheight = max(cfg.height, 480)
    spec.visual.quality.offsamples = cfg.multisamples
    spec.visual.headlight.ambient = (0.4, 0.4, 0.4)
    spec.visual.headlight.diffuse = (0.4, 0.4, 0.4)
    world = spec.worldbody
    # Rendering cost on llvmpipe is dominated by per-light shading: one key light plus the headlight,
    # and a coarse floor grid (the plane's third size is its rendering grid spacing).
    world.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=(3, 3, 2.0),
                   pos=(0, 0, -0.75), rgba=(0.32, 0.34, 0.38, 1), group=TABLE_GROUP)
    world.add_geom(name="table", type=mujoco.mjtGeom.mjGEOM_BOX, size=TABLE_SIZE,
                   pos=(TABLE_CENTRE_X, 0, -TABLE_SIZE[2]), rgba=(0.55, 0.52, 0.48, 1),
                   group=TABLE_GROUP, friction=(1.0, 0.005, 0.0001))
    world.add_light(name="key", pos=(0.6, -0.4, 1.6), dir=(0, 0.25, -1), diffuse=(0.75, 0.75, 0.75),
                    specular=(0.2, 0.2, 0.2), castshadow=cfg.shadows)
    world.add_camera(name=CAMERA_NAME, pos=cfg.camera_pos,
                     quat=look_at_quat(np.array(cfg.camera_pos), np.array(cfg.camera_target)),
                     fovy=cfg.fovy_deg)


def _add_object(spec: mujoco.MjSpec, index: int, obj: PlacedObject) -> None:
    s = obj.spec
    name = object_name(index)
    body = spec.worldbody.add_body(name=name, pos=(obj.x, obj.y, s.half_height),
                                   quat=(np.cos(obj.yaw / 2), 0, 0, np.sin(obj.yaw / 2)))
    body.add_freejoint(name=name)
    geom_kwargs = dict(name=name, rgba=s.rgba, group=OBJECT_GROUP, mass=0.06, condim=4,
                       friction=(1.2, 0.01, 0.0005))
    if s.shape == "cone":
        mesh_name = f"cone_{s.size}"
        if spec.mesh(mesh_name) is None:
            spec.add_mesh(name=mesh_name, uservert=s.cone_vertices())
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh_name, **geom_kwargs)
        return
    geom_type = {"cube": mujoco.mjtGeom.mjGEOM_BOX, "sphere": mujoco.mjtGeom.mjGEOM_SPHERE,
                 "cylinder": mujoco.mjtGeom.mjGEOM_CYLINDER}[s.shape]
    if s.shape == "sphere":  # rolling friction keeps a touched ball from rolling away
        geom_kwargs.update(condim=6, friction=(1.2, 0.01, 0.002))
    body.add_geom(type=geom_type, size=s.geom_size(), **geom_kwargs)


def build_spec(layout: Layout, cfg: SceneConfig) -> mujoco.MjSpec:
    spec = mujoco.MjSpec.from_file(str(robot_xml()))
    spec.modelname = f"tabletop_{layout.seed}"
    _add_environment(spec, cfg)
    for i, obj in enumerate(layout.objects):
        _add_object(spec, i, obj)
    return spec


class TabletopScene:
    """A compiled scene: model, data, and the ids the camera, grasp and tasks need."""

    def __init__(self, layout: Layout, cfg: SceneConfig | None = None):
        self.layout = layout
        self.cfg = cfg or SceneConfig()
        self.spec = build_spec(layout, self.cfg)
        self.model = self.spec.compile()
        self.data = mujoco.MjData(self.model)
        m = self.model
        self.arm_qpos_adr = np.array([m.jnt_qposadr[m.joint(j).id] for j in ARM_JOINTS])
        self.arm_dof_adr = np.array([m.jnt_dofadr[m.joint(j).id] for j in ARM_JOINTS])
        self.arm_actuators = np.array([m.actuator(a).id for a in ARM_ACTUATORS])
        self.gripper_actuator = m.actuator(GRIPPER_ACTUATOR).id
        self.pinch_site = m.site(PINCH_SITE).id
        self.camera_id = m.camera(CAMERA_NAME).id
        self.object_bodies = [m.body(object_name(i)).id for i in range(len(layout.objects))]
        self.object_geoms = [m.geom(object_name(i)).id for i in range(len(layout.objects))]
        self.reset()

    def reset(self) -> None:
        """Robot at home, gripper open, objects at their layout poses, at rest."""
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[self.arm_qpos_adr] = HOME_QPOS
        self.data.ctrl[self.gripper_actuator] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def object_position(self, index: int) -> np.ndarray:
        """World position of an object's body origin."""
        return self.data.xpos[self.object_bodies[index]].copy()

    def object_centre(self, index: int) -> np.ndarray:
        """World position of the object's geometric centre (mid-height for cones)."""
        pos = self.object_position(index)
        spec = self.layout.objects[index].spec
        if spec.shape == "cone":
            pos[2] += 0.5 * spec.height
        return pos

    def index_of(self, label: str) -> int:
        for i, obj in enumerate(self.layout.objects):
            if obj.label == label:
                return i
        raise KeyError(f"no {label!r} in scene {self.layout.seed}; objects: "
                       f"{[o.label for o in self.layout.objects]}")
