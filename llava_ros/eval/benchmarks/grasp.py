"""``grasp``: closed-loop episodes on held-out layouts: instruction → perception node → pick.

Each episode is one held-out seed (>= 1,000,000,000; see :mod:`sim.seeds`) and one instruction,
drawn from ground truth: by attribute ("pick up the blue cylinder") or by relation ("pick up the
object left of the red cube", only when exactly one visible object is on that side of the anchor
and no other is too close to call, by the margins of :mod:`training.data.scene_facts`). Targets
are visible enough to be picked (``MIN_VISIBLE``).

The predict phase runs the planner over real ROS (:mod:`llava_ros.ros.plan_episodes`) and writes
one row per episode; :meth:`GraspBenchmark.score` counts each episode's first failing stage:

    no object grounded → wrong object → bad 3-D point (> 3 cm from the centre) → grasp failed

Success: the sim lifted and holds the intended object (pick success and ``picked_label`` ==
intended label). No ROS here: this module only builds episodes and scores rows.
"""
from __future__ import annotations

import math
import random
import statistics

from tqdm import tqdm

from llava_ros.eval.benchmarks import register_benchmark
from sim.seeds import HELDOUT_SEED_START
from training.data.scene_facts import SceneFacts

MIN_VISIBLE = 0.5  # visible fraction a target needs
POINT_TOLERANCE_M = 0.03
STAGES = ("success", "no object grounded", "wrong object", "bad 3-D point", "grasp failed")


def attribute_episodes(facts: SceneFacts) -> list[dict]:
    return [{"kind": "attribute", "instruction": f"pick up the {o.label}", "intended": o.label}
            for o in facts.visible if o.visible_fraction >= MIN_VISIBLE]


def relation_episodes(facts: SceneFacts) -> list[dict]:
    """Every unambiguous "object left/right of X" in the scene."""
    episodes = []
    for anchor in facts.visible:
        others = [o for o in facts.visible if o is not anchor]
        relations = [facts.left_of(o, anchor) for o in others]
        if not others or None in relations:
            continue  # some object is too close to the anchor's column to say
        for side, holds in (("left", True), ("right", False)):
            beside = [o for o, r in zip(others, relations) if r is holds]
            if len(beside) == 1 and beside[0].visible_fraction >= MIN_VISIBLE:
                episodes.append({"kind": "relation", "anchor": anchor.label, "intended": beside[0].label,
                                 "instruction": f"pick up the object {side} of the {anchor.label}"})
    return episodes


def draw_episode(seed: int, truth: dict, kind: str) -> dict | None:
    """One episode of ``kind`` for this scene (the other kind when it has none), or None."""
    facts = SceneFacts(truth)
    rng = random.Random(f"{seed}/grasp")
    pools = {"attribute": attribute_episodes(facts), "relation": relation_episodes(facts)}
    pool = pools[kind] or pools["relation" if kind == "attribute" else "attribute"]
    if not pool:
        return None
    episode = rng.choice(pool)
    target = next(o for o in truth["objects"] if o["label"] == episode["intended"])
    return {"id": f"{seed}_{episode['kind']}", "seed": seed, **episode,
            "intended_position_world": target["position_world"], "scene": [o["label"] for o in truth["objects"]]}


def same_object(label: str, intended: str) -> bool:
    """Does a grounded label ("large red cube") name the intended object ("red cube")?"""
    from llava_ros.eval.answers import first_colour, first_shape

    colour, shape = intended.split()
    return first_colour(label) == colour and first_shape(label) == shape


def stage_of(row: dict) -> str:
    """The episode's outcome: "success" or its first failing stage (see the module docstring)."""
    if row.get("pick_success") and row.get("picked_label") == row["intended"]:
        return "success"
    target = row.get("target")
    if target is None:
        return "no object grounded"
    if not same_object(target["label"], row["intended"]):
        return "wrong object"
    if row.get("error_m") is None or row["error_m"] > POINT_TOLERANCE_M:
        return "bad 3-D point"
    return "grasp failed"


def point_error_m(row: dict) -> float | None:
    """Distance of the target's world point from the intended object's true centre."""
    target = row.get("target")
    if not target or target.get("position_world") is None or target.get("frame_id", "world") != "world":
        return None
    return math.dist(target["position_world"], row["intended_position_world"])


def _rate(hits: int, total: int) -> float:
    return hits / total if total else float("nan")


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    values = sorted(values)
    return {"n": len(values), "mean": round(statistics.fmean(values), 4), "p50": round(statistics.median(values), 4),
            "p90": round(values[min(len(values) - 1, int(0.9 * len(values)))], 4), "max": round(values[-1], 4)}


@register_benchmark("grasp")
class GraspBenchmark:
    """Held-out closed-loop grasping; goal of the shipped model (issue #4): ``GOALS``."""

    GOALS = {"success_rate": 0.90}

    def __init__(self, seeds: range, episodes: int, width: int = 336, height: int = 336):
        if seeds.start < HELDOUT_SEED_START:
            raise ValueError(f"grasp evaluation uses held-out seeds >= {HELDOUT_SEED_START}; "
                             f"got {seeds.start}:{seeds.stop}")
        if episodes < 1:
            raise ValueError(f"--episodes must be >= 1, got {episodes}")
        self.seeds, self.episodes, self.width, self.height = seeds, episodes, width, height

    def items(self, run_dir=None, progress: bool = True) -> list[dict]:
        """``episodes`` episodes, one per seed in order, alternating attribute and relation."""
        from sim.camera import Camera
        from sim.ground_truth import scene_ground_truth
        from sim.layout import sample_layout
        from sim.scene import SceneConfig, TabletopScene

        episodes: list[dict] = []
        bar = tqdm(total=self.episodes, desc="drawing episodes", disable=not progress)
        for seed in self.seeds:
            if len(episodes) == self.episodes:
                break
            scene = TabletopScene(sample_layout(seed), SceneConfig(width=self.width, height=self.height))
            with Camera(scene) as camera:
                truth = scene_ground_truth(scene, camera, camera.frame())
            episode = draw_episode(seed, truth, "relation" if len(episodes) % 2 else "attribute")
            if episode is not None:
                episodes.append(episode)
                bar.update()
        bar.close()
        if len(episodes) < self.episodes:
            raise ValueError(f"seeds {self.seeds.start}:{self.seeds.stop} give only {len(episodes)} episodes; "
                             f"--episodes {self.episodes} needs a wider --seeds range")
        return episodes

    @staticmethod
    def score(rows: list[dict]) -> dict:
        scored = [{**r, "stage": stage_of(r)} for r in rows]
        n = len(scored)
        count = {stage: sum(r["stage"] == stage for r in scored) for stage in STAGES}
        grounded = n - count["no object grounded"]
        right = grounded - count["wrong object"]

        def success_of(kind: str) -> float:
            group = [r for r in scored if r["kind"] == kind]
            return _rate(sum(r["stage"] == "success" for r in group), len(group))

        metrics = {
            "success_rate": _rate(count["success"], n),
            "attribute_success_rate": success_of("attribute"), "relation_success_rate": success_of("relation"),
            "grounded_rate": _rate(grounded, n),
            "right_object_rate": _rate(right, grounded),  # of grounded episodes
            "point_ok_rate": _rate(right - count["bad 3-D point"], right),  # of right-object episodes
        }
        counts = {"n_episodes": n, **{f"n_{k}": sum(r["kind"] == k for r in scored) for k in ("attribute", "relation")},
                  **{"n_" + stage.replace(" ", "_").replace("-", "").lower(): c for stage, c in count.items()}}
        latency = {name: _stats([r["latency_s"][name] for r in scored if name in r.get("latency_s", {})])
                   for name in ("ask", "node", "pick")}
        errors = [r["error_m"] for r in scored if r.get("error_m") is not None
                  and r.get("target") and same_object(r["target"]["label"], r["intended"])]
        return {"metrics": metrics, "counts": counts, "goals": GraspBenchmark.GOALS,
                "failures": {stage: c for stage, c in count.items() if stage != "success"},
                "latency_s": latency, "point_error_m": _stats(errors), "rows": scored}

    @staticmethod
    def markdown_details(summary: dict) -> str:
        """Failure stages, 3-D error and latency as Markdown (appended to ``scores.md``)."""
        lines = ["## Failures by stage (first failing stage per episode)", "", "| stage | episodes |", "|---|---|"]
        lines += [f"| {stage} | {c} |" for stage, c in summary["failures"].items()]
        lines += ["", "## Latency and 3-D error", "", "| quantity | n | mean | p50 | p90 | max |",
                  "|---|---|---|---|---|---|"]
        for name, s in [*((f"{k} latency (s)", v) for k, v in summary["latency_s"].items()),
                        ("3-D error of right objects (m)", summary["point_error_m"])]:
            cells = [str(s.get(k, "n/a")) for k in ("mean", "p50", "p90", "max")]
            lines.append(f"| {name} | {s['n']} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
