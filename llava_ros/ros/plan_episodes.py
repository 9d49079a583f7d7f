"""Predict phase of the ``grasp`` benchmark: run episodes through the planner over real ROS.

    path = run_episodes(episodes, run_dir, model="models/llava-ros-sim")   # → run_dir/predictions.jsonl

One graph (sim + perception node, started with the launcher unless ``join``) serves every
episode: the sim's ``seed`` parameter builds each episode's layout, the planner asks about a frame
taken after that and picks. One JSON line per episode (resumable: a rerun skips done episodes).
"""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from llava_ros.eval.benchmarks.grasp import point_error_m
from llava_ros.eval.predict import read_jsonl
from llava_ros.ros.plan_client import LaunchedGraph, PlannerClient
from llava_ros.ros.planner import plan


def run_episode(client: PlannerClient, episode: dict, max_new_tokens: int = 0) -> dict:
    since = client.set_seed(episode["seed"])
    result = plan(client, episode["instruction"], newer_than=since, max_new_tokens=max_new_tokens)
    row = {**episode, **{k: v for k, v in result.items() if k != "success"}, "pick_success": result["success"]}
    row["error_m"] = point_error_m(row)
    return row


def run_episodes(episodes: list[dict], run_dir: Path, model: str | Path | None = None, sets: tuple[str, ...] = (),
                 max_new_tokens: int = 0, join: bool = False, progress: bool = True) -> Path:
    """Run the episodes not yet in ``run_dir/predictions.jsonl``; return its path."""
    out = Path(run_dir) / "predictions.jsonl"
    done = {row["id"] for row in read_jsonl(out)}
    todo = [e for e in episodes if e["id"] not in done]
    if not todo:
        return out
    graph = None if join else LaunchedGraph(model, todo[0]["seed"], sets, Path(run_dir) / "graph.log")
    try:
        with PlannerClient("llava_grasp_eval") as client, out.open("a") as sink:
            client.wait_for_graph(graph)
            for episode in tqdm(todo, desc="grasp episodes", disable=not progress):
                if graph is not None:
                    graph.check()
                sink.write(json.dumps(run_episode(client, episode, max_new_tokens)) + "\n")
                sink.flush()
    finally:
        if graph is not None:
            graph.stop()
    return out
