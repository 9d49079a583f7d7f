"""The sim benchmark: real held-out renders; reference answers score 1.0, corrupted answers 0."""
import json
import re

import pytest

from llava_ros.cli import main
from llava_ros.eval import answers
from llava_ros.eval.benchmarks import get_benchmark, sim
from llava_ros.eval.benchmarks.heldout import render_truth
from tests.tiny import save_tiny_checkpoint
from training.data.scene_facts import SceneFacts

SEEDS = range(1_000_000_000, 1_000_000_004)


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    return get_benchmark("sim")(SEEDS).items(tmp_path_factory.mktemp("sim"), progress=False)


def _flip(answer: str, family: str) -> str:
    swaps = {"colour": ("red", "green", "blue", "yellow", "purple", "orange"),
             "shape": ("cube", "sphere", "cylinder", "cone")}
    if family in swaps:
        words = swaps[family]
        def swap(m):
            new = words[(words.index(m.group(1).lower()) + 1) % len(words)]
            return new.capitalize() if m.group(1)[0].isupper() else new
        return re.sub(r"\b(" + "|".join(words) + r")\b", swap, answer, flags=re.IGNORECASE)
    if family in ("exists", "left_of"):
        return re.sub(r"\b(Yes|No|yes|no)\b", lambda m: {"Yes": "No", "No": "Yes", "yes": "no", "no": "yes"}[m.group(1)], answer)
    if family == "count":
        return "There are seven of them."
    if family == "where":
        return "It is at [0.00, 0.00, 0.05, 0.05]."
    if family == "in_front_of":
        return re.sub(r"the (\w+ \w+) is in front of the (\w+ \w+)", r"the \2 is in front of the \1", answer)
    raise AssertionError(family)


def test_every_family_is_asked(items):
    assert {i["family"] for i in items} == {"colour", "shape", "count", "where", "exists", "left_of", "in_front_of"}
    assert all(i["seed"] in SEEDS for i in items)


def test_reference_answers_score_perfectly(items):
    metrics = get_benchmark("sim").score([{**i, "answer": i["reference"]} for i in items])["metrics"]
    for name in ("attribute_accuracy", "counting_accuracy", "relation_accuracy", "box_acc_at_0.5", "pope_accuracy", "pope_f1"):
        assert metrics[name] == pytest.approx(1.0), name
    assert metrics["box_mean_iou"] > 0.9


def test_corrupted_answers_score_zero(items):
    rows = [{**i, "answer": _flip(i["reference"], i["family"])} for i in items]
    metrics = get_benchmark("sim").score(rows)["metrics"]
    for name in ("attribute_accuracy", "counting_accuracy", "relation_accuracy", "box_acc_at_0.5", "pope_accuracy"):
        assert metrics[name] == pytest.approx(0.0), name


def _grounded_answers(seed: int) -> dict[str, tuple[str, str]]:
    """Item id -> (question, answer) of the rules teacher's grounded style, drawn as the benchmark draws."""
    facts = SceneFacts(render_truth(seed)[1])
    out = {}
    for family, _, draws in sim.FAMILIES:
        for k in range(draws):
            turn = sim.draw_turn(facts, seed, family, k, style="grounded")
            if turn is not None:
                out[f"{seed}_{family}_{k}"] = (turn.question, turn.answer)
    return out


def test_grounded_style_answers_are_read_like_direct_ones(items):
    """The scorer reads the verdict of answers that ground before they conclude ("Looking for cubes: the
    red cube [..], so there is one."; "The closest match to a red cone is ..., so no, ..."): the teacher's
    grounded answers to the same questions score 1.0, and 0 once their verdicts are flipped."""
    grounded = {k: v for seed in SEEDS for k, v in _grounded_answers(seed).items()}
    assert all(grounded[i["id"]][0] == i["prompt"] for i in items)
    rows = [{**i, "answer": grounded[i["id"]][1]} for i in items]
    assert sum(r["answer"] != r["reference"] for r in rows) >= len(rows) // 4
    metrics = get_benchmark("sim").score(rows)["metrics"]
    for name in ("attribute_accuracy", "counting_accuracy", "relation_accuracy", "box_acc_at_0.5", "pope_f1"):
        assert metrics[name] == pytest.approx(1.0), name
    flipped = get_benchmark("sim").score([{**r, "answer": _flip(r["answer"], r["family"])} for r in rows])["metrics"]
    for name in ("counting_accuracy", "relation_accuracy", "pope_accuracy"):
        assert flipped[name] == pytest.approx(0.0), name


def test_counts_are_read_from_the_verdict_of_a_scan_first_answer():
    scan = "Going from left to right, I see the red cube [0.10, 0.20, 0.30, 0.40] and the blue cone [0.50, 0.20, 0.60, 0.40]."
    assert answers.first_count(f"{scan} So there are two objects.") == 2
    assert answers.first_count(f"{scan} Only the red cube [0.10, 0.20, 0.30, 0.40] is red, so there is one.") == 1
    assert answers.first_count(f"{scan} None of them is a sphere, so there are no spheres.") == 0
    assert answers.first_count(f"{scan} The cubes are these.") is None  # no verdict, no number outside boxes
    assert answers.first_count("There are 3 cubes: the red cube [0.10, 0.20, 0.30, 0.40], ...") == 3  # direct answers
    assert answers.yes_no(f"{scan} None of them is a red cylinder, so no, there is no red cylinder.") is False


def test_colours_and_shapes_are_read_from_the_verdict_of_a_listing_answer():
    listing = ("Looking for cubes: the cube [0.10, 0.20, 0.30, 0.40] is a large red cube, "
               "the cube [0.50, 0.20, 0.60, 0.40] is a small blue cube")
    assert answers.first_colour(f"{listing}, so the small cube is a small blue cube [0.50, 0.20, 0.60, 0.40].") == "blue"
    assert answers.first_colour(f"{listing}.") == "red"  # no verdict: the first colour named
    assert answers.first_colour("Looking for cubes: the cube [0.10, 0.20, 0.30, 0.40] is large, "
                                "so the large cube [0.10, 0.20, 0.30, 0.40] is green.") == "green"
    objects = ("Looking for red objects: the red object [0.10, 0.20, 0.30, 0.40] is a large red cone, "
               "the red object [0.50, 0.20, 0.60, 0.40] is a small red sphere")
    assert answers.first_shape(f"{objects}, so the small red object is a small red sphere [0.50, 0.20, 0.60, 0.40].") == "sphere"
    assert answers.first_shape(f"{objects}, so there are two.") == "cone"  # "so there" is no attribute verdict


def test_training_seeds_are_refused():
    with pytest.raises(ValueError, match="held-out seeds"):
        get_benchmark("sim")(range(0, 5))


def test_eval_sim_command_writes_reports_and_resumes(tmp_path, capsys):
    model = save_tiny_checkpoint(tmp_path / "model")
    args = ["eval", "sim", "--seeds", "1000000007:1000000008", "--model", str(model), "--out", str(tmp_path / "run"),
            "--max-new-tokens", "4", "--quiet"]
    assert main(args) == 0
    run = tmp_path / "run"
    rows = (run / "predictions.jsonl").read_text().splitlines()
    assert rows and all(json.loads(r)["engine"] == "torch" for r in rows)
    assert {"metrics", "counts", "goals"} <= set(json.loads((run / "scores.json").read_text()))
    assert "| attribute_accuracy |" in (run / "scores.md").read_text() and (run / "scores.png").stat().st_size > 0
    assert main(args) == 0
    assert len((run / "predictions.jsonl").read_text().splitlines()) == len(rows), "rerun answered again"
