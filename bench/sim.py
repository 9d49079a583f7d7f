"""Simulation benchmark: render FPS (RGB + depth), physics steps/s, wall time per pick.

    .venv/bin/python -m bench.sim [--picks 10] [--out bench/results/sim.json]

Prints a table and writes JSON. Goals (issue #2): >= 20 FPS RGB+depth at 336x336, physics >= 10x real time.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from sim.camera import Camera  # noqa: E402
from sim.grasp import GraspExecutor  # noqa: E402
from sim.layout import sample_layout  # noqa: E402
from sim.scene import SceneConfig, TabletopScene  # noqa: E402
from bench.results import write_json  # noqa: E402

BENCH_SEED = 12345


def render_fps(width: int, height: int, frames: int) -> float:
    scene = TabletopScene(sample_layout(BENCH_SEED, 6), SceneConfig(width=width, height=height))
    with Camera(scene) as cam:
        cam.rgb(), cam.depth()  # warm-up
        start = time.perf_counter()
        for _ in range(frames):
            cam.rgb()
            cam.depth()
        return frames / (time.perf_counter() - start)


def physics_steps_per_s(steps: int) -> tuple[float, float]:
    scene = TabletopScene(sample_layout(BENCH_SEED, 6))
    start = time.perf_counter()
    mujoco.mj_step(scene.model, scene.data, nstep=steps)
    rate = steps / (time.perf_counter() - start)
    return rate, rate * scene.model.opt.timestep


def pick_wall_times(n: int) -> tuple[list[float], int]:
    times, successes = [], 0
    for seed in tqdm(range(BENCH_SEED, BENCH_SEED + n), desc="picks", leave=False):
        scene = TabletopScene(sample_layout(seed))
        start = time.perf_counter()
        result = GraspExecutor(scene).pick(scene.object_centre(0))
        times.append(time.perf_counter() - start)
        successes += bool(result.success)
    return times, successes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--picks", type=int, default=10)
    parser.add_argument("--out", default="bench/results/sim.json")
    args = parser.parse_args()

    fps_336 = render_fps(336, 336, args.frames)
    fps_640 = render_fps(640, 480, args.frames)
    steps, realtime = physics_steps_per_s(args.steps)
    times, ok = pick_wall_times(args.picks)
    rows = [
        ("render RGB+depth 336x336", f"{fps_336:.1f} FPS", ">= 20 FPS", fps_336 >= 20),
        ("render RGB+depth 640x480", f"{fps_640:.1f} FPS", "-", True),
        ("physics (6 objects)", f"{steps:,.0f} steps/s = {realtime:.1f}x real time", ">= 10x", realtime >= 10),
        ("pick wall time", f"{np.mean(times):.2f} s mean, {np.max(times):.2f} s max ({ok}/{len(times)} ok)", "-", True),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'result':<48} goal")
    for name, value, goal, met in rows:
        print(f"{name:<{width}}  {value:<48} {goal}{'' if met else '  (NOT MET)'}")
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "mujoco": mujoco.__version__,
                    "gl": os.environ.get("MUJOCO_GL")},
        "render_fps_rgb_depth_336x336": fps_336,
        "render_fps_rgb_depth_640x480": fps_640,
        "physics_steps_per_s": steps,
        "physics_realtime_factor": realtime,
        "pick_wall_s_mean": float(np.mean(times)),
        "pick_wall_s_max": float(np.max(times)),
        "pick_successes": ok,
        "picks": len(times),
    }
    write_json(result, args.out)


if __name__ == "__main__":
    main()
