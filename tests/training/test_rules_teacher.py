"""The rules teacher says only true things: boxes, counts, yes/no answers and relations are checked
against the rendered scenes' ground truth, computed here independently of the teacher's code."""
import random
import re

import numpy as np
import pytest

from sim.captions import count_word
from sim.catalogue import COLOURS, SHAPES, ObjectSpec
from training.data import teachers
from llava_ros.boxes import box_text, format_box, parse_boxes
from training.data.scene_facts import LEFT_RIGHT_MARGIN
from training.data.teachers import KINDS

RNG_SEEDS = range(25)


def _visible(truth):
    return {o["label"]: o for o in truth["objects"] if o["bbox_xyxy"] is not None}


def _depth(truth, obj):
    cam = truth["camera"]
    rot = np.array(cam["rotation_world_from_camera"])
    return float(((np.array(obj["position_world"]) - cam["position_world"]) @ rot)[2])


def _u(obj):
    return 0.5 * (obj["bbox_xyxy"][0] + obj["bbox_xyxy"][2])


def _height(obj):
    return ObjectSpec(obj["colour"], obj["shape"], obj["size"]).height


def _count(truth, colour=None, shape=None):
    return sum(1 for o in _visible(truth).values()
               if (colour is None or o["colour"] == colour) and (shape is None or o["shape"] == shape))


def _check_scan(truth, answer):
    """Counting and yes/no answers first list every visible object, left to right, with its box."""
    vis = _visible(truth)
    first = answer.split(". ")[0] if vis else answer
    listed = [phrase.removeprefix("the ") for phrase, _ in parse_boxes(first)]
    assert listed == sorted(vis, key=lambda k: _u(vis[k])), answer


def _named(answer):
    """The labels of the boxed objects an answer names, in its order."""
    return [phrase.split()[-2] + " " + phrase.split()[-1] for phrase, _ in parse_boxes(answer)]


def _check_walk(answer: str, named: list[str]):
    """A listing that walks the catalogue's colours in order: each once, then its objects or "none"."""
    listing = answer.split(": ", 1)[1].rsplit("; so ", 1)[0]
    steps = [step.split(", ", 1) for step in listing.split("; ")]
    assert [key for key, _ in steps] == list(COLOURS), answer
    for key, objects in steps:
        boxed = [label for label in _named(objects) if key in label.split()]
        assert boxed == _named(objects) and (boxed or objects == "none"), answer
    assert [label for _, objects in steps for label in _named(objects)] == named, answer


def _closest_match(truth, label):
    """The object a grounded yes/no answer names: the asked one, else the leftmost of its colour, of
    its shape, or on the table."""
    vis = _visible(truth)
    colour, shape = label.split()
    for keep in (lambda o: o["label"] == label, lambda o: o["colour"] == colour, lambda o: o["shape"] == shape,
                 lambda o: True):
        group = [o for o in vis.values() if keep(o)]
        if group:
            return min(group, key=_u)["label"]
    return None


def _question_pair(question):
    """The two object labels a relation question names, in its order."""
    a, b = re.findall(rf"\b((?:{'|'.join(COLOURS)}) (?:{'|'.join(SHAPES)}))\b", question)
    return a, b


def _check_compared(answer: str, number: str, first_smaller: bool):
    """A grounded relation answer compares the two numbers it stated, in their order, truthfully."""
    x, y = re.findall(number, answer)
    said = re.search(r"Of (\d\.\d\d) and (\d\.\d\d), the first is (smaller|larger)", answer)
    assert said and said.groups() == (x, y, "smaller" if first_smaller else "larger"), answer
    assert (float(x) < float(y)) == first_smaller, answer


def check_fact(truth, fact, answer, style="direct", question=""):
    """Assert that the teacher's claim ``fact`` holds in ``truth`` and that ``answer`` states it in
    the rules teacher's answer ``style`` (``question``: the question it answers)."""
    vis, everything = _visible(truth), {o["label"]: o for o in truth["objects"]}
    kind = fact["type"]
    if kind == "colour":
        assert vis[fact["label"]]["colour"] == fact["colour"] and fact["colour"] in answer.lower()
    elif kind == "shape":
        assert vis[fact["label"]]["shape"] == fact["shape"] and fact["shape"] in answer
    elif kind == "size":
        assert vis[fact["label"]]["size"] == fact["size"] and fact["size"] in answer
    elif kind == "count":
        n = _count(truth, fact["colour"], fact["shape"])
        assert fact["n"] == n
        if style == "direct":
            assert (count_word(n) if n else "no") in answer.lower() or (n == 0 and "zero" in answer)
            assert len(parse_boxes(answer)) == n
        else:
            assert re.search(rf"\bso there (is|are) {count_word(n) if n else 'no'}\b", answer, re.IGNORECASE), answer
        if style == "scan":
            _check_scan(truth, answer)
            assert len(parse_boxes(answer)) == len(vis) + (n if fact["colour"] or fact["shape"] else 0)
        if style == "grounded":  # exactly the counted objects, left to right but for near-tied neighbours
            counted = [k for k, o in vis.items() if fact["colour"] in (None, o["colour"])
                       and fact["shape"] in (None, o["shape"])]
            named = _named(answer)
            assert sorted(named) == sorted(counted), answer
            if fact["shape"] is not None:  # walked colour by colour (one object of a shape per colour at most)
                _check_walk(answer, named)
            elif fact["colour"] is None:  # every object: each shape walked colour by colour, in catalogue order
                sections = answer.split(". ")
                assert [s.split(":")[0] for s in sections] == [f"Looking for {shape}s" for shape in SHAPES], answer
                for shape, section in zip(SHAPES, sections):
                    _check_walk(section, [
                        label for label in named if label.endswith(" " + shape)])
                assert named == [label for shape in SHAPES for label in named if label.endswith(" " + shape)]
            else:
                margin = LEFT_RIGHT_MARGIN * truth["camera"]["width"]
                assert all(_u(vis[b]) > _u(vis[a]) - margin for a, b in zip(named, named[1:])), answer
            assert " and " not in answer  # a comma after each object: the answer decides to stop after one
    elif kind == "exists":
        assert fact["answer"] == (fact["label"] in vis)
        if style == "direct":
            assert answer.startswith("Yes" if fact["answer"] else "No")
        else:
            assert f"so {'yes' if fact['answer'] else 'no'}, there is " in answer
        if style == "scan":
            _check_scan(truth, answer)
            assert len(parse_boxes(answer)) == len(vis) + fact["answer"]
        if style == "grounded":  # one object, the closest match, before the verdict
            match = _closest_match(truth, fact["label"])
            assert _named(answer) == ([match] if match else []), answer
        if not fact["answer"]:
            assert fact["label"] not in everything  # absent objects are absent from the scene
    elif kind == "where":
        u = _u(vis[fact["label"]]) / truth["camera"]["width"]
        assert fact["side"] == ["on the left side", "in the middle", "on the right side"][min(2, int(3 * u))]
        assert fact["rank"] == sorted(vis, key=lambda k: _u(vis[k])).index(fact["label"])
    elif kind == "left_of":
        assert _u(vis[fact["a"]]) < _u(vis[fact["b"]])
        a, b = fact["a"], fact["b"]
        assert f"the {a} is to the left of the {b}" in answer or f"the {b} is to the right of the {a}" in answer
        assert _named(answer) == (list(_question_pair(question)) if style == "grounded" else [a, b]), answer
        if style == "grounded":
            _check_compared(answer, r"centred at (\d\.\d\d)", _question_pair(question)[0] == a)
    elif kind == "in_front_of":
        assert _depth(truth, vis[fact["a"]]) < _depth(truth, vis[fact["b"]])
        assert f"the {fact['a']} is in front of the {fact['b']}" in answer
        pair = [fact["a"], fact["b"]]
        assert _named(answer) == (list(_question_pair(question)) if style == "grounded" else pair), answer
        if style == "grounded":
            _check_compared(answer, r"about (\d\.\d\d) m", _question_pair(question)[0] == fact["a"])
    elif kind == "closest_to_robot":
        dist = {k: float(np.hypot(*o["position_world"][:2])) for k, o in vis.items()}
        assert fact["label"] == min(dist, key=dist.get)
        assert answer.endswith(f"pick the {fact['label']}.")
    elif kind == "taller":
        assert _height(vis[fact["a"]]) > _height(vis[fact["b"]])
        assert f"the {fact['a']} is the taller" in answer
    elif kind == "compare_count":
        assert (fact["na"], fact["nb"]) == (_count(truth, fact["a"]), _count(truth, fact["b"]))
    elif kind == "flat_top":
        assert set(fact["labels"]) == {k for k, o in vis.items() if o["shape"] in ("cube", "cylinder")}
        assert fact["choice"] in fact["labels"] and answer.rstrip().split("The best choice is")[1].count(fact["choice"])
    elif kind in ("brief", "detail"):
        assert fact["count"] == len(vis)
        if kind == "detail":
            assert fact["order"] == sorted(vis, key=lambda k: _u(vis[k]))
            for key, sign in (("nearest_camera", 1), ("farthest_camera", -1)):
                if fact.get(key):
                    assert fact[key] == min(vis, key=lambda k: sign * _depth(truth, vis[k]))
            assert set(fact["partly_visible"]) == {k for k, o in vis.items() if o["visible_fraction"] < 0.9}
            if fact["tallest"]:
                assert fact["tallest"] == max(vis, key=lambda k: _height(vis[k]))
    else:
        raise AssertionError(f"unchecked fact type {kind!r}")


def _all_responses(truths, answers="direct"):
    teacher = teachers.get("rules", answers=answers)
    for truth in truths:
        for kind in KINDS:
            for seed in RNG_SEEDS:
                yield truth, kind, teacher.respond(truth, kind, random.Random(seed))


def _check_boxes(truth, answer):
    """Every box names a visible object and is exactly its ground-truth box; every visible object the
    answer names is given its box; objects not in view never get one."""
    width, height = truth["camera"]["width"], truth["camera"]["height"]
    vis = _visible(truth)
    for phrase, box in parse_boxes(answer, strict=True):
        labels = [k for k in vis if phrase.endswith(k)]
        if not labels:  # a grounded colour or shape answer boxes the object by the question's reference
            labels = [k for k in vis if format_box(vis[k]["bbox_xyxy"], width, height) == box_text(box)]
            words = {vis[labels[0]][a] for a in ("size", "colour", "shape")} | {"object"}
            assert len(labels) == 1 and set(phrase.lower().split()[-2:]) - {"the"} <= words, (phrase, answer)
        [label] = labels
        assert f"{phrase.split()[-1]} {format_box(vis[label]['bbox_xyxy'], width, height)}" in answer
    for label, obj in vis.items():
        if re.search(rf"\b{label}\b", answer):
            assert f"{label} {format_box(obj['bbox_xyxy'], width, height)}" in answer, (label, answer)
    assert len(parse_boxes(answer)) == answer.count("[")


@pytest.mark.parametrize("answers", ["direct", "scan", "grounded"])
def test_every_answer_is_true(truths, edge_truths, answers):
    checked = set()
    for truth, kind, turns in _all_responses(truths + edge_truths, answers):
        assert turns and all(t.question.strip() and t.answer.strip() for t in turns)
        for turn in turns:
            _check_boxes(truth, turn.answer)
            check_fact(truth, turn.fact, turn.answer, style=answers, question=turn.question)
            checked.add(turn.fact["type"])
    assert checked == {"colour", "shape", "size", "count", "exists", "where", "left_of", "in_front_of",
                       "closest_to_robot", "taller", "compare_count", "flat_top", "brief", "detail"}


STYLED = {"scan": {"count", "exists"},
          "grounded": {"count", "exists", "left_of", "in_front_of", "colour", "shape", "size"}}


@pytest.mark.parametrize("style", sorted(STYLED))
def test_answer_styles_change_only_their_question_types(truths, style):
    """Same rng: identical output for every kind but conversation and reasoning; in those, identical
    turns up to the first of the style's question types, which asks the same question and may differ
    in its answer (after it, the phrasing rng has moved on)."""
    direct, styled = teachers.get("rules"), teachers.get("rules", answers=style)
    differed = set()
    for truth in truths:
        for seed in RNG_SEEDS:
            for kind in KINDS:
                a = direct.respond(truth, kind, random.Random(seed))
                b = styled.respond(truth, kind, random.Random(seed))
                for x, y in zip(a, b):
                    assert (x.question, x.fact) == (y.question, y.fact)
                    if x.fact["type"] in STYLED[style]:
                        differed.update([x.fact["type"]] if x.answer != y.answer else [])
                        break
                    assert x.answer == y.answer
    assert differed == STYLED[style]
    with pytest.raises(ValueError, match="answers must be one of"):
        teachers.get("rules", answers="verbose")


def test_left_right_answers_say_yes_exactly_when_true(truths):
    teacher = teachers.get("rules")
    seen = set()
    for truth in truths:
        for seed in range(60):
            [turn] = teacher.respond(truth, "reasoning", random.Random(seed))
            if turn.fact["type"] == "left_of":
                a, b = _question_pair(turn.question)
                holds = (a, b) == (turn.fact["a"], turn.fact["b"])
                assert ("So yes" in turn.answer) == holds and ("So no" in turn.answer) == (not holds)
                seen.add(holds)
    assert seen == {True, False}


def test_response_shapes_and_variety(truths):
    teacher = teachers.get("rules")
    by_kind = {kind: [teacher.respond(t, kind, random.Random(s)) for t in truths for s in RNG_SEEDS] for kind in KINDS}
    assert all(len(turns) == 1 for kind in ("brief", "detail", "reasoning") for turns in by_kind[kind])
    assert all(3 <= len(turns) <= 5 for turns in by_kind["conversation"])
    questions = {kind: {t.question for turns in r for t in turns} for kind, r in by_kind.items()}
    assert len(questions["brief"]) >= 8 and len(questions["detail"]) >= 10  # the paper's instruction lists
    templates = {re.sub(r"(red|green|blue|yellow|purple|orange|cube|sphere|cylinder|cone|small|large|s)\b", "",
                        t.question) for turns in by_kind["conversation"] for t in turns if t.fact["type"] == "count"}
    assert len(templates) >= 3
    assert len({turns[0].fact["type"] for turns in by_kind["reasoning"]}) == 6


def test_deterministic_given_rng_seed(truths):
    teacher = teachers.get("rules")
    for kind in KINDS:
        assert teacher.respond(truths[0], kind, random.Random(7)) == teacher.respond(truths[0], kind, random.Random(7))


def test_registry():
    assert {"rules", "openai"} <= set(teachers.names())
    with pytest.raises(ValueError, match="unknown teacher 'gpt5'; registered"):
        teachers.get("gpt5")
    with pytest.raises(ValueError, match="unknown response kind 'poem'"):
        teachers.get("rules").respond({}, "poem", random.Random(0))
    with pytest.raises(ValueError, match="already registered"):
        teachers.register("rules")(object)
