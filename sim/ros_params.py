"""Parameters of the sim node ``llava_sim`` (light module: the launcher reads it without building a scene).

Documented for users in ``launch/params/sim.yaml``; every one is read by the node.
"""
from llava_ros.ros.node_tools import Param
from sim.scene import SceneConfig

NODE_NAME = "llava_sim"
PARAMETERS = (
    Param("seed", 0, "layout seed (objects, positions); setting it builds that layout", bounds=(0, 2**31 - 1)),
    Param("width", SceneConfig.width, "image width in pixels", True, bounds=(16, 4096)),
    Param("height", SceneConfig.height, "image height in pixels", True, bounds=(16, 4096)),
    Param("rate_hz", 5.0, "camera frames per second; physics runs in real time between frames",
          bounds=(0.1, 60.0)),
    Param("frame_id", "camera_optical_frame", "optical frame of image, depth and camera_info", True),
    Param("world_frame", "world", "frame of camera_pose and of pick targets", True),
)
