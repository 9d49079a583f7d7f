"""MuJoCo tabletop simulation: a Franka Panda with a Robotiq 2F-85, a table and coloured objects.

Entry points: :func:`sim.scene.build_scene` (a layout → a compiled scene), :mod:`sim.camera`
(RGB, depth, segmentation and intrinsics), :mod:`sim.ground_truth` (``scene.json``),
:mod:`sim.grasp` (the IK pick executor) and :func:`sim.tasks.load` (registered tasks).

Rendering is headless: ``MUJOCO_GL`` defaults to ``egl`` (set it to ``osmesa`` or ``glfw`` before
importing this package to choose otherwise); mujoco reads it when first imported.
"""
import os

os.environ.setdefault("MUJOCO_GL", "egl")
