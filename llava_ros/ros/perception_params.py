"""Parameters of the perception node ``llava_ros`` (light module: the launcher reads it without torch).

Documented for users in ``launch/params/perception.yaml``; every one is read by the node.
"""
from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS
from llava_ros.ask import DEFAULT_MODEL
from llava_ros.ros.node_tools import Param

NODE_NAME = "llava_ros"
PARAMETERS = (
    Param("model_path", str(DEFAULT_MODEL), "checkpoint folder (llava_ros / HF llava / original LLaVA)", True),
    Param("engine", "torch", "registered engine name (llava_ros.engine.engine_names())", True),
    Param("device", "cpu", "torch device for the engine, e.g. cpu or cuda:0", True),
    Param("max_new_tokens", DEFAULT_MAX_NEW_TOKENS, "generation budget per answer (AskScene may override)", bounds=(1, 4096)),
    Param("temperature", 0.0, "sampling temperature; 0 = greedy", bounds=(0.0, 2.0)),
    Param("max_frame_age_s", 2.0, "refuse camera frames older than this (header stamp vs node clock)",
          bounds=(0.001, 1e6)),
    Param("image_topic", "image", "RGB image topic (rgb8/bgr8/mono8/rgba8/bgra8)", True),
    Param("depth_topic", "depth", "depth topic aligned with the image (32FC1 metres or 16UC1 mm)", True),
    Param("camera_info_topic", "camera_info", "CameraInfo of the image (K is used)", True),
    Param("camera_pose_topic", "camera_pose",
          "PoseStamped: world pose of the optical frame; empty = none (points stay in the camera frame)", True),
    Param("world_frame", "world", "frame of camera_pose and of world points in answers"),
    Param("camera_frame", "", "optical frame id to report instead of the image header's; empty = header's"),
    Param("queue_size", 4, "instructions waiting for the model beyond the running one; more are refused", True,
          bounds=(1, 64)),
    Param("service_timeout_s", 60.0, "ask_scene waits this long for its answer", bounds=(0.1, 3600.0)),
)
