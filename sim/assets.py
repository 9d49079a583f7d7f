"""Where the robot's MJCF comes from.

The Franka Panda + Robotiq 2F-85 model (MuJoCo Menagerie meshes) ships inside the PyPI package
``gym-hil``, installed with ``--no-deps``. We read it from the installed package and never copy it
into this repository. ``find_spec`` locates the package without importing it (its ``__init__``
imports gymnasium, which we do not install).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROBOT_PACKAGE = "gym_hil"


def robot_xml() -> Path:
    """Path of the Panda + Robotiq MJCF inside the installed ``gym-hil`` package."""
    spec = importlib.util.find_spec(ROBOT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {ROBOT_PACKAGE!r} is not installed; run `make venv` "
            "(it installs gym-hil==0.1.14 with --no-deps for the Panda assets)")
    path = Path(spec.submodule_search_locations[0]) / "assets" / "panda.xml"
    if not path.is_file():
        raise FileNotFoundError(f"robot model not found at {path}")
    return path
