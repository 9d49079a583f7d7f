"""Inference engines behind one interface, chosen by registered name (no ROS imports here).

    engine = create_engine("torch", model_path="models/llava-ros-sim")
    result = engine.answer(image_rgb, "Where is the red cube?", GenerationSettings(max_new_tokens=64))
"""
from __future__ import annotations

from llava_ros.engine.base import Engine, EngineResult, GenerationSettings
from llava_ros.registry import Registry

ENGINES: Registry = Registry("engine")
register_engine = ENGINES.register
engine_names = ENGINES.names


def create_engine(name: str, **kwargs) -> Engine:
    """Build the engine registered as ``name`` (e.g. ``"torch"``) with its keyword arguments."""
    return ENGINES.create(name, **kwargs)


# Each module registers its engine; heavy runtimes (onnxruntime, tensorrt, CUDA) are imported only when an
# engine is built, so registering them costs nothing and needs none of them installed.
from llava_ros.engine import torch_engine  # noqa: E402,F401  (registers "torch")
from llava_ros.engine import onnx_engine  # noqa: E402,F401  (registers "onnx")
from llava_ros.engine import tensorrt_engine  # noqa: E402,F401  (registers "tensorrt")
from llava_ros.engine import remote_engine  # noqa: E402,F401  (registers "remote")

__all__ = ["ENGINES", "Engine", "EngineResult", "GenerationSettings", "create_engine", "engine_names",
           "register_engine"]
