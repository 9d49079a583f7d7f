"""Task registry (dm_control style): ``load(name, seed)`` builds a registered task and resets it.

Register a task class with ``@register("name")``; it must provide ``reset(seed)``, ``step(n)``,
``success()``, ``instruction`` and ``scene``.
"""
from __future__ import annotations

from typing import Callable

_TASKS: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        if name in _TASKS:
            raise ValueError(f"task {name!r} is already registered by {_TASKS[name].__name__}")
        _TASKS[name] = cls
        cls.name = name
        return cls
    return wrap


def names() -> list[str]:
    return sorted(_TASKS)


def load(name: str, seed: int, **kwargs):
    """Build the task ``name`` with ``kwargs`` and reset it to the layout of ``seed``."""
    if name not in _TASKS:
        raise KeyError(f"unknown task {name!r}; registered: {names()}")
    task = _TASKS[name](**kwargs)
    task.reset(seed)
    return task


from sim.tasks import pick  # noqa: E402,F401  (registers "pick")
