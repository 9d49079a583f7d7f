"""Benchmark registry: a benchmark builds question items and scores answers to them.

A benchmark class provides ``items(**options) -> list[dict]`` (each with ``id``, ``prompt`` and,
when it has one, ``image`` — a path relative to the run folder) and ``score(rows) -> dict`` over
prediction rows (items plus ``answer``).
"""
from __future__ import annotations

from typing import Callable

_BENCHMARKS: dict[str, type] = {}


def register_benchmark(name: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        if name in _BENCHMARKS:
            raise ValueError(f"benchmark {name!r} is already registered")
        _BENCHMARKS[name] = cls
        cls.name = name
        return cls
    return wrap


def benchmark_names() -> list[str]:
    return sorted(_BENCHMARKS)


def get_benchmark(name: str):
    if name not in _BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; registered: {benchmark_names()}")
    return _BENCHMARKS[name]


from llava_ros.eval.benchmarks import sim  # noqa: E402,F401  (registers "sim")
