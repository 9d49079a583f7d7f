"""Benchmark registry: a benchmark builds question items and scores answers to them.

A benchmark class provides ``items(run_dir, progress) -> list[dict]`` (each with ``id``, ``prompt``
and, when it has one, ``image`` — a path relative to the run folder) and ``score(rows) -> dict``
over prediction rows (items plus ``answer``).
"""
from __future__ import annotations

from llava_ros.registry import Registry

BENCHMARKS: Registry = Registry("benchmark")
register_benchmark = BENCHMARKS.register
benchmark_names = BENCHMARKS.names
get_benchmark = BENCHMARKS.get

from llava_ros.eval.benchmarks import sim  # noqa: E402,F401  (registers "sim")
from llava_ros.eval.benchmarks import grasp  # noqa: E402,F401  (registers "grasp")
