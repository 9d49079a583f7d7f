"""Benchmark registry: a benchmark builds question items and scores answers to them.

A benchmark class provides ``items(run_dir, progress) -> list[dict]`` (each with ``id``, ``prompt``
and, when it has one, ``image`` — a path relative to the run folder, or absolute) and
``score(rows) -> dict`` over prediction rows (items plus ``answer``). Benchmarks that
``llava-ros eval predict`` can run also provide ``from_args(args)`` (built from the predict options),
``options() -> dict`` (recorded in the run's ``run.json``) and ``MAX_NEW_TOKENS``; a benchmark whose
scoring needs more than the rows (a judge) provides ``score_run(rows, run_dir, options)``. See
:mod:`llava_ros.eval.phases`.
"""
from __future__ import annotations

from llava_ros.registry import Registry

BENCHMARKS: Registry = Registry("benchmark")
register_benchmark = BENCHMARKS.register
benchmark_names = BENCHMARKS.names
get_benchmark = BENCHMARKS.get

from llava_ros.eval.benchmarks import sim  # noqa: E402,F401  (registers "sim")
from llava_ros.eval.benchmarks import grasp  # noqa: E402,F401  (registers "grasp")
from llava_ros.eval.benchmarks import pope  # noqa: E402,F401  (registers "pope")
from llava_ros.eval.benchmarks import llava_bench  # noqa: E402,F401  (registers "llava-bench")
from llava_ros.eval.benchmarks import scienceqa  # noqa: E402,F401  (registers "scienceqa")
