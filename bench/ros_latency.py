"""Image → answer latency through ROS (``ask_scene`` round trip on a fresh frame) vs the engine alone.

    .venv/bin/python -m bench.ros_latency --model models/llava-ros-sim [--repeats 10] [--out bench/results/ros_latency.json]

Phase 1 starts sim + perception node (the launcher) and, N times, waits for a camera frame newer
than the request, then calls ``ask_scene`` about it: the client's round trip and the node's own
``latency_s`` (request received → answer ready). Phase 2, with the graph stopped, runs the same
engine in this process on a worker thread (as the node does) on the answered image, N times.
Prints a table and writes JSON.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from llava_ros.ask import DEFAULT_MODEL, check_model_folder
from bench.results import write_json

PROMPT = "Where is the red cube?"


def summary(values: list[float]) -> dict:
    values = sorted(values)
    return {"n": len(values), "mean_s": statistics.fmean(values), "p50_s": statistics.median(values),
            "p90_s": values[min(len(values) - 1, int(0.9 * len(values)))], "min_s": values[0], "max_s": values[-1]}


def through_ros(model: str, repeats: int, seed: int, max_new_tokens: int, sets: list[str]) -> tuple[dict, object]:
    from llava_ros.ros.conversions import image_to_rgb
    from llava_ros.ros.plan_client import LaunchedGraph, PlannerClient

    round_trips, node = [], []
    image = None
    with LaunchedGraph(model, seed, tuple(sets)) as graph, PlannerClient("llava_latency_bench", keep_images=30) as client:
        client.wait_for_graph(graph)
        for i in range(repeats + 1):  # the first is a warm-up
            response, seconds = client.ask(PROMPT, newer_than=client.now_s(), max_new_tokens=max_new_tokens)
            if not response.success:
                raise RuntimeError(f"ask_scene failed: {response.error}")
            if i == 0:
                continue
            round_trips.append(seconds)
            node.append(float(response.answer.latency_s))
            answered = client.image_at(response.answer.header.stamp)
            image = image_to_rgb(answered) if answered is not None else image
    if image is None:
        raise RuntimeError("no answered image was received to repeat with the engine alone")
    return {"ros_round_trip": summary(round_trips), "node_reported": summary(node)}, image


def engine_alone(model: str, engine_name: str, device: str, image, repeats: int, max_new_tokens: int) -> dict:
    from llava_ros.engine import GenerationSettings, create_engine

    engine = create_engine(engine_name, model_path=model, device=device)
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    times = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generation") as worker:  # as the node runs it
        for i in range(repeats + 1):
            start = time.perf_counter()
            worker.submit(engine.answer, image, PROMPT, settings).result()
            if i:
                times.append(time.perf_counter() - start)
    return {"engine_alone": summary(times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--engine", default="torch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--out", default="bench/results/ros_latency.json")
    args = parser.parse_args(argv)
    model = str(check_model_folder(args.model).resolve())
    sets = [f"perception.engine={args.engine}", f"perception.device={args.device}",
            f"perception.max_new_tokens={args.max_new_tokens}"]
    results, image = through_ros(model, args.repeats, args.seed, args.max_new_tokens, sets)
    results.update(engine_alone(model, args.engine, args.device, image, args.repeats, args.max_new_tokens))
    overhead = results["ros_round_trip"]["p50_s"] - results["engine_alone"]["p50_s"]
    print(f"image → answer latency, {args.repeats} repeats, {image.shape[1]}x{image.shape[0]}, "
          f"max_new_tokens {args.max_new_tokens}, model {args.model}")
    print(f"{'path':<18}{'mean s':>9}{'p50 s':>9}{'p90 s':>9}{'min s':>9}")
    for name, s in results.items():
        print(f"{name:<18}{s['mean_s']:>9.3f}{s['p50_s']:>9.3f}{s['p90_s']:>9.3f}{s['min_s']:>9.3f}")
    print(f"ROS overhead (p50 round trip - p50 engine alone): {overhead * 1000:.1f} ms")
    record = {"results": results, "ros_overhead_p50_s": overhead, "prompt": PROMPT, "model": args.model,
              "engine": args.engine, "device": args.device, "max_new_tokens": args.max_new_tokens,
              "image_size": [int(image.shape[1]), int(image.shape[0])], "machine": platform.platform(),
              "processor": platform.processor(), "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    write_json(record, args.out)


if __name__ == "__main__":
    main()
