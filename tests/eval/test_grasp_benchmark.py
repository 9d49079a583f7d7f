"""The grasp benchmark: episodes from ground truth, stage scoring, and real episodes over DDS.

The episodes run in-process (sim node + perception node in this process, the planner's client in
its own context, all over real DDS on loopback): once with the tiny random model (nothing is
grounded) and once with an oracle engine that answers from the sim's ground truth, which must
close the loop for an attribute and a relation instruction.
"""
import json
import math

import pytest
import rclpy
from rclpy.parameter import Parameter

from llava_ros.boxes import format_box
from llava_ros.engine import create_engine
from llava_ros.engine.base import Engine, EngineResult
from llava_ros.eval.benchmarks import get_benchmark
from llava_ros.eval.benchmarks.grasp import GraspBenchmark, relation_episodes, stage_of
from llava_ros.eval.predict import read_jsonl
from llava_ros.ros.perception_node import LlavaPerceptionNode
from llava_ros.ros.plan_episodes import run_episodes
from llava_ros.ros.plan_instruction import LIST_QUESTION, RELIST_QUESTION, refer_question
from llava_ros.ros.testing import Spinner
from sim.ros_node import SimNode
from training.data.regions import REFER_PROMPT
from training.data.scene_facts import SceneFacts
from tests.tiny import save_tiny_checkpoint

SEEDS = range(1_000_000_000, 1_000_000_040)
SIZE = 336


def _row(stage_inputs: dict) -> dict:
    base = {"id": "x", "seed": 1_000_000_000, "kind": "attribute", "intended": "red cube",
            "intended_position_world": [0.5, 0.0, 0.02], "target": None, "pick_success": False,
            "picked_label": "", "error_m": None, "latency_s": {"ask": 1.0, "node": 0.9}}
    return {**base, **stage_inputs}


def test_scoring_counts_each_episode_at_its_first_failing_stage():
    right = {"label": "large red cube", "position_world": [0.51, 0.0, 0.02], "frame_id": "world"}
    rows = [
        _row({"target": right, "error_m": 0.01, "pick_success": True, "picked_label": "red cube",
              "latency_s": {"ask": 1.0, "node": 0.9, "pick": 0.5}}),
        _row({"kind": "relation"}),  # nothing grounded
        _row({"target": {**right, "label": "blue cube"}, "error_m": 0.2}),  # wrong object
        _row({"target": right, "error_m": 0.05, "pick_success": True, "picked_label": "blue cone"}),  # bad point
        _row({"target": right, "error_m": 0.01, "picked_label": "", "latency_s": {"ask": 3.0, "pick": 0.7}}),
    ]
    assert [stage_of(r) for r in rows] == ["success", "no object grounded", "wrong object", "bad 3-D point",
                                           "grasp failed"]
    summary = get_benchmark("grasp").score(rows)
    m, c = summary["metrics"], summary["counts"]
    assert m["success_rate"] == pytest.approx(0.2) and m["relation_success_rate"] == 0.0
    assert m["grounded_rate"] == pytest.approx(0.8) and m["right_object_rate"] == pytest.approx(0.75)
    assert m["point_ok_rate"] == pytest.approx(2 / 3)
    assert summary["failures"] == {"no object grounded": 1, "wrong object": 1, "bad 3-D point": 1, "grasp failed": 1}
    assert c["n_episodes"] == 5 and c["n_relation"] == 1 and c["n_bad_3d_point"] == 1
    assert summary["latency_s"]["pick"]["n"] == 2 and summary["latency_s"]["ask"]["max"] == 3.0
    assert "| wrong object | 1 |" in GraspBenchmark.markdown_details(summary)


def test_training_seeds_are_refused():
    with pytest.raises(ValueError, match="held-out seeds"):
        GraspBenchmark(range(0, 10), 2)


@pytest.fixture(scope="module")
def episodes():
    return GraspBenchmark(SEEDS, 2, SIZE, SIZE).items(progress=False)


def test_episodes_alternate_kinds_and_relations_are_unambiguous(episodes):
    assert [e["kind"] for e in episodes] == ["attribute", "relation"]
    assert all(e["seed"] >= 1_000_000_000 and e["intended"] in e["scene"] for e in episodes)
    relation = episodes[1]
    assert relation["instruction"].startswith("pick up the object ") and relation["anchor"] in relation["instruction"]


class OracleEngine(Engine):
    """Answers from the sim's ground truth in the model's box syntax (a stand-in for a perfect model)."""

    name, model_id = "oracle", "oracle"

    def __init__(self, sim: SimNode):
        self.sim = sim

    def answer(self, image, prompt, settings=None, on_text=None):
        truth = self.sim.ground_truth()
        visible = [o for o in truth["objects"] if o["bbox_xyxy"]]
        if prompt.startswith(REFER_PROMPT.format("")):  # the box alone, as the model was tuned to answer
            referred = [o for o in visible if o["label"] in prompt.removeprefix(REFER_PROMPT.format(""))]
            return EngineResult(text=format_box(referred[0]["bbox_xyxy"], SIZE, SIZE) if referred else "None.")
        named = [f"the {o['label']} {format_box(o['bbox_xyxy'], SIZE, SIZE)}" for o in visible]
        return EngineResult(text="A table holding " + ", ".join(named) + ".")


class ForgetfulOracle(OracleEngine):
    """The oracle whose detailed description leaves out one object (``forget``), as the trained model's
    descriptions sometimes do; its other answers (boxes, the counting listing) name every object."""

    def __init__(self, sim: SimNode, forget: str):
        super().__init__(sim)
        self.forget = forget

    def answer(self, image, prompt, settings=None, on_text=None):
        result = super().answer(image, prompt, settings, on_text)
        if prompt != LIST_QUESTION:
            return result
        named = [part for part in result.text.removeprefix("A table holding ").rstrip(".").split(", ")
                 if self.forget not in part]
        return EngineResult(text="A table holding " + ", ".join(named) + ".")


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    context = rclpy.Context()
    rclpy.init(context=context)
    tiny = create_engine("torch", model_path=save_tiny_checkpoint(tmp_path_factory.mktemp("tiny")))
    sim = SimNode(context=context, parameter_overrides=[Parameter("width", value=SIZE),
                                                        Parameter("height", value=SIZE)])
    perception = LlavaPerceptionNode(engine=tiny, context=context,
                                     parameter_overrides=[Parameter("max_new_tokens", value=4)])
    spinner = Spinner([sim, perception], context=context)
    yield {"sim": sim, "perception": perception, "tiny": tiny}
    spinner.stop()
    perception.destroy_node()
    sim.destroy_node()
    rclpy.shutdown(context=context)


def test_a_real_episode_with_the_tiny_model_fails_at_grounding(rig, episodes, tmp_path):
    rig["perception"].engine = rig["tiny"]
    path = run_episodes(episodes[:1], tmp_path, join=True, progress=False)
    (row,) = read_jsonl(path)
    assert row["message"].startswith("no object grounded") and row["target"] is None, row
    assert row["question"] == refer_question(episodes[0]["intended"]) and row["latency_s"]["ask"] > 0
    assert stage_of(row) == "no object grounded"
    assert run_episodes(episodes[:1], tmp_path, join=True, progress=False) == path  # resumable: nothing rerun
    assert len(read_jsonl(path)) == 1


def test_oracle_answers_close_the_loop_for_attribute_and_relation(rig, episodes, tmp_path):
    rig["perception"].engine = OracleEngine(rig["sim"])
    rows = read_jsonl(run_episodes(episodes, tmp_path, join=True, progress=False))
    for row in rows:
        assert stage_of(row) == "success", json.dumps(row)
        assert row["picked_label"] == row["intended"] and row["error_m"] < 0.03
    relation = rows[1]
    assert relation["question"] == LIST_QUESTION
    asked = [a["question"] for a in relation["asked"]]
    assert asked[:2] == [LIST_QUESTION, refer_question(relation["anchor"])]  # then each other object once
    assert len(asked) == len(set(asked)) == 1 + len(relation["objects"]) >= 3  # every referred object grounded
    assert get_benchmark("grasp").score(rows)["metrics"]["success_rate"] == 1.0


def test_a_description_that_misses_the_target_is_made_up_by_the_counting_listing(rig, episodes, tmp_path):
    relation = episodes[1]
    rig["perception"].engine = ForgetfulOracle(rig["sim"], forget=relation["intended"])
    (row,) = read_jsonl(run_episodes([relation], tmp_path, join=True, progress=False))
    assert stage_of(row) == "success" and row["picked_label"] == row["intended"], json.dumps(row)
    asked = [a["question"] for a in row["asked"]]
    assert RELIST_QUESTION in asked and asked[-1] == refer_question(relation["intended"])
    assert len(asked) == len(set(asked))  # nothing grounded twice


def test_relation_episodes_have_exactly_one_object_on_that_side(episodes):
    from sim.camera import Camera
    from sim.ground_truth import scene_ground_truth
    from sim.layout import sample_layout
    from sim.scene import SceneConfig, TabletopScene

    relation = episodes[1]
    scene = TabletopScene(sample_layout(relation["seed"]), SceneConfig(width=SIZE, height=SIZE))
    with Camera(scene) as camera:
        facts = SceneFacts(scene_ground_truth(scene, camera, camera.frame()))
    assert relation["instruction"] in [e["instruction"] for e in relation_episodes(facts)]
    anchor, target = facts.find(relation["anchor"]), facts.find(relation["intended"])
    side = "left" if "left of" in relation["instruction"] else "right"
    others = [o for o in facts.visible if o.label not in (anchor.label, target.label)]
    assert all(facts.left_of(o, anchor) is (side == "right") for o in others)
    assert not math.isnan(target.u)
