"""Task registry (dm_control style): ``load(name, seed)`` builds a registered task and resets it.

Register a task class with ``@register("name")``; it must provide ``reset(seed)``, ``step(n)``,
``success()``, ``instruction`` and ``scene``.
"""
from __future__ import annotations

from llava_ros.registry import Registry

TASKS: Registry = Registry("task")
register = TASKS.register
names = TASKS.names


def load(name: str, seed: int, **kwargs):
    """Build the task ``name`` with ``kwargs`` and reset it to the layout of ``seed``."""
    task = TASKS.create(name, **kwargs)
    task.reset(seed)
    return task


from sim.tasks import pick  # noqa: E402,F401  (registers "pick")
