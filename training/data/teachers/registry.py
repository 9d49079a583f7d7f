"""Teachers by name: ``@register("rules")`` on a factory, ``get("rules", **options)``."""
from __future__ import annotations

from typing import Callable

from training.data.teachers.base import Teacher

_TEACHERS: dict[str, Callable[..., Teacher]] = {}


def register(name: str):
    """Class or function decorator that registers a teacher factory under ``name``."""
    def decorator(factory: Callable[..., Teacher]) -> Callable[..., Teacher]:
        if name in _TEACHERS:
            raise ValueError(f"teacher {name!r} is already registered by {_TEACHERS[name]!r}")
        _TEACHERS[name] = factory
        return factory
    return decorator


def get(name: str, **options) -> Teacher:
    """A new teacher ``name`` built with ``options`` (e.g. ``base_url=`` for ``openai``)."""
    if name not in _TEACHERS:
        raise ValueError(f"unknown teacher {name!r}; registered: {names()}")
    return _TEACHERS[name](**options)


def names() -> list[str]:
    return sorted(_TEACHERS)
