"""Name → implementation registries (engines, benchmarks, teachers, sim tasks): no name sniffing.

    ENGINES = Registry("engine")

    @ENGINES.register("torch")
    class TorchEngine: ...

    engine = ENGINES.create("torch", model_path=...)
"""
from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering a class or factory under ``name`` (classes get a ``name`` attribute)."""
        def wrap(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered by {self._entries[name]!r}")
            self._entries[name] = entry
            if isinstance(entry, type):
                entry.name = name
            return entry
        return wrap

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise ValueError(f"unknown {self.kind} {name!r}; registered: {self.names()}")
        return self._entries[name]

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the entry registered as ``name`` with the given arguments."""
        return self.get(name)(*args, **kwargs)

    def __contains__(self, name: object) -> bool:
        return name in self._entries
