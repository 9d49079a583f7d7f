"""ROS 2 adapters: message conversion, the perception node, its generation worker and the launcher.

The only part of :mod:`llava_ros` that imports rclpy. Nodes are thin: they convert messages, call
the engine (:mod:`llava_ros.engine`) and grounding (:mod:`llava_ros.grounding`), and publish.

    python -m llava_ros.ros.perception_node --ros-args --params-file launch/params/perception.yaml
"""
