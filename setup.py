"""llava_ros: LLaVA as a ROS 2 perception node, with a MuJoCo grasping sim and the paper's training recipe.

A ROS 2 ament_python package (``colcon build`` on a full ROS 2 install) and a pip package
(``pip install -e .``; see scripts/setup_env.sh for the pinned dependencies).
"""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "llava_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    description="LLaVA (Visual Instruction Tuning) as a ROS 2 perception node for robot grasping",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["llava_ros", "llava_ros.*", "sim", "sim.*", "training", "training.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/launch/params", glob("launch/params/*.yaml")),
    ],
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "llava-ros = llava_ros.cli:main",
            "perception_node = llava_ros.ros.perception_node:main",
            "sim_node = sim.ros_node:main",
        ],
    },
)
