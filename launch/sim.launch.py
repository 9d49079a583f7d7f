"""Start the MuJoCo sim node ``llava_sim`` (full ROS 2 install with launch_ros).

    ros2 launch llava_ros sim.launch.py [params_file:=/path/to/sim.yaml] [namespace:=robot1]

Without launch_ros (pip-only machines) the same node with the same YAML: ``llava-ros launch sim``.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(get_package_share_directory("llava_ros"), "launch", "params", "sim.yaml")
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="parameter YAML of llava_sim (see launch/params/sim.yaml)"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the sim's topics"),
        # Headless rendering unless the user chose a GL backend.
        SetEnvironmentVariable("MUJOCO_GL", EnvironmentVariable("MUJOCO_GL", default_value="egl")),
        Node(
            package="llava_ros",
            executable="sim_node",
            name="llava_sim",
            namespace=LaunchConfiguration("namespace"),
            parameters=[LaunchConfiguration("params_file")],
            output="screen",
        ),
    ])
