"""Suite-wide environment: headless rendering and loopback-only ROS 2 discovery on our own domain."""
import os
import tempfile

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ["ROS_LOCALHOST_ONLY"] = "1"
# A domain of our own per test session keeps parallel runs apart; logs stay out of ~/.ros.
os.environ.setdefault("ROS_DOMAIN_ID", str(101 + os.getpid() % 100))
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="llava_ros_test_log_"))
