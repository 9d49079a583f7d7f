"""MuJoCo tabletop simulation: a Franka Panda with a Robotiq 2F-85, a table and coloured objects.

Entry points: :func:`sim.scene.build_scene` (a layout → a compiled scene), :mod:`sim.camera`
(RGB, depth, segmentation and intrinsics), :mod:`sim.ground_truth` (``scene.json``),
:mod:`sim.grasp` (the IK pick executor) and :func:`sim.tasks.load` (registered tasks).
"""
