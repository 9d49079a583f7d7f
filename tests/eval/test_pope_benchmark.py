"""POPE on held-out sim scenes: sampling properties on real renders, and the scorer on constructed answers."""
import pytest

from llava_ros.eval.answers import pope_says_yes
from llava_ros.eval.benchmarks import get_benchmark
from llava_ros.eval.benchmarks import pope
from llava_ros.eval.benchmarks.heldout import render_scene
from training.data.scene_facts import SceneFacts

SEEDS = (1_000_000_000, 1_000_000_001, 1_000_000_002)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pope")
    return {seed: render_scene(seed, folder / "images") for seed in SEEDS}


@pytest.fixture(scope="module")
def items(scenes):
    return [item for seed, truth in scenes.items() for item in pope.scene_questions(seed, truth, f"images/{seed}.png")]


def test_every_sampling_is_balanced_per_scene(items, scenes):
    for seed in SEEDS:
        k = min(pope.PER_SCENE, len(SceneFacts(scenes[seed]).visible))
        for sampling in pope.SAMPLINGS:
            group = [i for i in items if i["seed"] == seed and i["sampling"] == sampling]
            assert [i["label_answer"] for i in group].count("yes") == k == [i["label_answer"] for i in group].count("no")
            assert all(i["prompt"] == f"Is there a {i['label']} in the image?" for i in group)


def test_positives_are_visible_and_negatives_absent_from_the_scene(items, scenes):
    for item in items:
        truth = scenes[item["seed"]]
        in_scene = {o["label"] for o in truth["objects"]}  # hidden objects count as present
        if item["label_answer"] == "yes":
            assert item["label"] in {o.label for o in SceneFacts(truth).visible}
        else:
            assert item["label"] not in in_scene


def test_adversarial_negatives_share_colour_or_shape_with_a_visible_object(items, scenes):
    adversarial = [i for i in items if i["sampling"] == "adversarial" and i["label_answer"] == "no"]
    assert adversarial
    for item in adversarial:
        colour, shape = item["label"].split()
        visible = SceneFacts(scenes[item["seed"]]).visible
        assert any(o.colour == colour or o.shape == shape for o in visible), item


def test_popular_negatives_follow_the_training_frequency_ranking(items, scenes):
    ranking = pope.popular_ranking()
    counts, _ = pope.training_statistics()
    assert [counts[label] for label in ranking] == sorted(counts.values(), reverse=True)
    for seed in SEEDS:
        absent = SceneFacts(scenes[seed]).absent_labels()
        chosen = [i["label"] for i in items if i["seed"] == seed and i["sampling"] == "popular" and i["label_answer"] == "no"]
        assert chosen == [label for label in ranking if label in absent][:len(chosen)]


def test_sampling_is_deterministic(items, scenes):
    pope.training_statistics.cache_clear()
    again = [item for seed, truth in scenes.items() for item in pope.scene_questions(seed, truth, f"images/{seed}.png")]
    assert again == items


def test_llava_pope_answer_reading():
    assert pope_says_yes("Yes, there is the red cube [0.41, 0.52, 0.49, 0.61].")
    assert not pope_says_yes("No, there is no red cube in the image.")
    assert not pope_says_yes("There is not a red cube. Yes, I am sure.")  # first sentence only
    assert pope_says_yes("hat0tailed,ers")  # anything without no/not reads as yes, as in LLaVA's eval_pope.py


def test_perfect_and_flipped_answers(items):
    say = {"yes": "Yes, there is one.", "no": "No, there is none."}
    flip = {"yes": "no", "no": "yes"}
    perfect = get_benchmark("pope").score([{**i, "answer": say[i["label_answer"]]} for i in items])["metrics"]
    flipped = get_benchmark("pope").score([{**i, "answer": say[flip[i["label_answer"]]]} for i in items])["metrics"]
    for sampling in pope.SAMPLINGS:
        assert perfect[f"{sampling}_accuracy"] == perfect[f"{sampling}_f1"] == 1.0
        assert perfect[f"{sampling}_yes_ratio"] == 0.5
        assert flipped[f"{sampling}_accuracy"] == flipped[f"{sampling}_f1"] == 0.0
    assert perfect["average_f1"] == 1.0


def test_training_seeds_are_refused():
    with pytest.raises(ValueError, match="held-out seeds"):
        get_benchmark("pope")(range(0, 3))
