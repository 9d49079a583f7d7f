"""Start the LLaVA perception node ``llava_ros`` (full ROS 2 install with launch_ros).

    ros2 launch llava_ros perception.launch.py [params_file:=/path/to/perception.yaml] [namespace:=robot1]

Set ``model_path`` in the YAML (or ``-p`` style with a copy of it). Without launch_ros (pip-only
machines) the same node with the same YAML: ``llava-ros launch perception``; both nodes with
``llava-ros launch all``.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(get_package_share_directory("llava_ros"), "launch", "params",
                                  "perception.yaml")
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="parameter YAML of llava_ros (see launch/params/perception.yaml)"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node's topics"),
        Node(
            package="llava_ros",
            executable="perception_node",
            name="llava_ros",
            namespace=LaunchConfiguration("namespace"),
            parameters=[LaunchConfiguration("params_file")],
            output="screen",
        ),
    ])
