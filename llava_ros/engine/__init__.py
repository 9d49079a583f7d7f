"""Inference engines behind one interface, chosen by registered name (no ROS imports here).

    engine = create_engine("torch", model_path="models/llava-ros-sim")
    result = engine.answer(image_rgb, "Where is the red cube?", GenerationSettings(max_new_tokens=64))
"""
from __future__ import annotations

from typing import Callable

from llava_ros.engine.base import Engine, EngineResult, GenerationSettings

_ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        if name in _ENGINES:
            raise ValueError(f"engine {name!r} is already registered")
        _ENGINES[name] = cls
        cls.name = name
        return cls
    return wrap


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def create_engine(name: str, **kwargs) -> Engine:
    """Build the engine registered as ``name`` (e.g. ``"torch"``) with its keyword arguments."""
    if name not in _ENGINES:
        raise ValueError(f"unknown engine {name!r}; registered: {engine_names()}")
    return _ENGINES[name](**kwargs)


from llava_ros.engine import torch_engine  # noqa: E402,F401  (registers "torch")

__all__ = ["Engine", "EngineResult", "GenerationSettings", "create_engine", "engine_names", "register_engine"]
