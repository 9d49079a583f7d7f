"""llava_ros: LLaVA (Visual Instruction Tuning, Liu et al. 2023) as a ROS 2 perception module."""
__version__ = "0.1.0"
