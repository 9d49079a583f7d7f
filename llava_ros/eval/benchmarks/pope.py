"""``pope``: POPE (Li et al. 2023) object-presence questions on held-out sim scenes.

POPE asks "Is there a {object} in the image?" about objects that are in the image (answer yes) and,
as many, objects that are not (answer no), with three ways of drawing the absent objects:

- ``random``: uniformly among catalogue labels absent from the scene;
- ``popular``: the absent labels most frequent in the training distribution (here: label counts over
  ``TRAINING_SEEDS`` training layouts, ties broken by name, so the ranking is deterministic);
- ``adversarial``: absent labels that share a colour or a shape with an object in the image, ranked by
  how often they co-occur with the scene's objects in the training layouts.

Each scene gets ``k = min(PER_SCENE, visible objects)`` yes-questions (the same objects for every
sampling) and ``k`` no-questions per sampling; absent means absent from the scene altogether, not
merely hidden. Answers are read as LLaVA's ``eval_pope.py`` reads them
(:func:`llava_ros.eval.answers.pope_says_yes`); per sampling: accuracy, precision, recall, F1 and
yes-ratio, plus their averages over the samplings (LLaVA-1.5 reports the average F1).
"""
from __future__ import annotations

import random
from collections import Counter
from functools import lru_cache
from itertools import combinations


from llava_ros.eval.answers import pope_says_yes
from llava_ros.eval.benchmarks import register_benchmark
from llava_ros.eval.benchmarks.heldout import HeldoutSceneBenchmark
from llava_ros.eval.paper import paper_results, unchecked_note
from training.data.scene_facts import SceneFacts

SAMPLINGS = ("random", "popular", "adversarial")
TEMPLATE = "Is there a {label} in the image?"  # POPE's template, verbatim (always "a")
PER_SCENE = 3  # POPE: 3 ground-truth objects and 3 absent ones per image
TRAINING_SEEDS = range(0, 4000)


@lru_cache(maxsize=1)
def training_statistics() -> tuple[Counter, Counter]:
    """Label counts and unordered label-pair co-occurrence counts over ``TRAINING_SEEDS`` layouts."""
    from sim.layout import sample_layout

    labels, pairs = Counter(), Counter()
    for seed in TRAINING_SEEDS:
        scene = sorted(o.label for o in sample_layout(seed).objects)
        labels.update(scene)
        pairs.update(combinations(scene, 2))
    return labels, pairs


def popular_ranking() -> list[str]:
    labels, _ = training_statistics()
    return sorted(labels, key=lambda label: (-labels[label], label))


def _shares_attribute(label: str, other: str) -> bool:
    colour, shape = label.split()
    other_colour, other_shape = other.split()
    return colour == other_colour or shape == other_shape


def adversarial_candidates(facts: SceneFacts) -> list[str]:
    """Absent labels sharing a colour or shape with a visible object, most co-occurring first."""
    _, pairs = training_statistics()
    present = [o.label for o in facts.visible]

    def cooccurrence(label: str) -> int:
        return sum(pairs[tuple(sorted((label, p)))] for p in present)

    shared = [a for a in facts.absent_labels() if any(_shares_attribute(a, p) for p in present)]
    return sorted(shared, key=lambda label: (-cooccurrence(label), label))


def negatives(facts: SceneFacts, sampling: str, k: int, seed: int) -> list[str]:
    absent = facts.absent_labels()
    if sampling == "random":
        return random.Random(f"{seed}/pope/random").sample(absent, k)
    if sampling == "popular":
        return [label for label in popular_ranking() if label in absent][:k]
    if sampling == "adversarial":
        return adversarial_candidates(facts)[:k]
    raise ValueError(f"unknown POPE sampling {sampling!r}; known: {list(SAMPLINGS)}")


def scene_questions(seed: int, truth: dict, image: str, per_scene: int = PER_SCENE) -> list[dict]:
    """Balanced yes/no questions of every sampling for one scene (none if nothing is visible)."""
    facts = SceneFacts(truth)
    k = min(per_scene, len(facts.visible), len(adversarial_candidates(facts)))
    if k == 0:
        return []
    positives = random.Random(f"{seed}/pope/positives").sample([o.label for o in facts.visible], k)
    items = []
    for sampling in SAMPLINGS:
        absent = negatives(facts, sampling, k, seed)
        if len(absent) != k:
            raise ValueError(f"seed {seed}: {sampling} sampling found {len(absent)} absent labels, needs {k}")
        pairs = [pair for yes, no in zip(positives, absent) for pair in ((yes, "yes"), (no, "no"))]
        for i, (label, answer) in enumerate(pairs):
            items.append({"id": f"{seed}_{sampling}_{i}", "seed": seed, "sampling": sampling, "label": label,
                          "label_answer": answer, "prompt": TEMPLATE.format(label=label), "image": image})
    return items


def binary_metrics(rows: list[dict]) -> dict:
    """POPE's metrics over rows with ``said_yes`` and ``label_answer`` (as LLaVA's eval_pope.py)."""
    tp = sum(r["said_yes"] and r["label_answer"] == "yes" for r in rows)
    fp = sum(r["said_yes"] and r["label_answer"] == "no" for r in rows)
    tn = sum(not r["said_yes"] and r["label_answer"] == "no" for r in rows)
    fn = sum(not r["said_yes"] and r["label_answer"] == "yes" for r in rows)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"accuracy": (tp + tn) / len(rows), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "yes_ratio": (tp + fp) / len(rows)}


@register_benchmark("pope")
class PopeBenchmark(HeldoutSceneBenchmark):
    """POPE on held-out sim scenes (seeds >= 1,000,000,000)."""

    MAX_NEW_TOKENS = 32

    def scene_items(self, seed: int, truth: dict, image: str) -> list[dict]:
        return scene_questions(seed, truth, image)

    @staticmethod
    def score(rows: list[dict]) -> dict:
        scored = [{**r, "said_yes": pope_says_yes(r["answer"])} for r in rows]
        metrics, counts = {}, {}
        for sampling in SAMPLINGS:
            group = [r for r in scored if r["sampling"] == sampling]
            counts[f"n_{sampling}"] = len(group)
            for name, value in (binary_metrics(group) if group else {}).items():
                metrics[f"{sampling}_{name}"] = value
        for name in ("accuracy", "f1", "yes_ratio"):
            values = [metrics[f"{s}_{name}"] for s in SAMPLINGS if f"{s}_{name}" in metrics]
            if values:
                metrics[f"average_{name}"] = sum(values) / len(values)
        paper = paper_results("pope", metrics)
        return {"metrics": metrics, "counts": counts, "paper": paper, "notes": unchecked_note(paper),
                "rows": scored}
