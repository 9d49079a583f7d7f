"""Attribute drills on real rendered scenes: a colour and a shape question about every object that a
reference without that attribute singles out, true answers, one question per record."""
import random
import re

from llava_ros.eval import answers
from sim.captions import join_phrases
from sim.catalogue import COLOURS, SHAPES
from training.data.attributes import attribute_turns, size_turns
from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.data.scene_facts import SceneFacts
from training.data.teachers.rules.conversation import colour_of, shape_of
from tests.training.conftest import SIZED_SEEDS
from tests.training.test_rules_teacher import check_fact


def _askable(facts, hidden):
    """Labels of the visible objects that a reference without the attribute ``hidden`` singles out."""
    return [o.label for o in facts.left_to_right()
            if (ref := facts.unique_reference(o)) and getattr(o, hidden) not in ref]


def test_every_askable_object_gets_its_colour_and_shape_question(truths, edge_truths):
    asked_any = set()
    for truth in truths + edge_truths:
        facts = SceneFacts(truth)
        turns = attribute_turns(facts, random.Random(0))
        for turn in turns:
            check_fact(truth, turn.fact, turn.answer, question=turn.question)
            obj = facts.find(turn.fact["label"])
            assert obj.box in turn.answer  # the answer grounds the object it names
            hidden = turn.fact["type"]  # a colour question does not name the colour, nor a shape one the shape
            assert not any(word in turn.question for word in (COLOURS if hidden == "colour" else SHAPES))
        for hidden in ("colour", "shape"):
            assert [t.fact["label"] for t in turns if t.fact["type"] == hidden] == _askable(facts, hidden)
        asked_any |= {t.fact["type"] for t in turns}
        if not facts.visible:
            assert turns == []
    assert asked_any == {"colour", "shape"}, "no test scene allows both kinds of question"


def test_a_question_about_an_object_no_reference_singles_out_is_not_asked(truths):
    refused = 0
    for truth in truths:
        facts = SceneFacts(truth)
        for ask, hidden in ((colour_of, "colour"), (shape_of, "shape")):
            for obj in facts.visible:
                turn = ask(facts, random.Random(0), obj)
                if obj.label in _askable(facts, hidden):
                    assert turn.fact["label"] == obj.label
                else:
                    assert turn is None
                    refused += 1
    assert refused, "every object of the test scenes is askable; the refusal is untested"


def test_generate_writes_attribute_drills_to_their_own_file(tmp_path):
    paths = generate(range(21, 25), tmp_path, kinds=["attribute"], width=96, height=96, progress=False)
    assert set(paths) == {"attributes", "images"} and paths["attributes"].name == "stage2_attributes.json"
    records = read_llava_json(paths["attributes"])
    assert records and len({r["id"] for r in records}) == len(records)
    assert all(len(r["conversations"]) == 2 and r["conversations"][0]["value"].startswith("<image>\n")
               for r in records)
    questions = [r["conversations"][0]["value"] for r in records]
    assert any("colour" in q for q in questions) and any("shape" in q or "kind of" in q for q in questions)


def test_grounded_answers_box_the_object_before_they_name_its_colour_or_shape(truths):
    checked = 0
    for truth in truths:
        facts = SceneFacts(truth)
        for obj in facts.visible:
            for ask, hidden in ((colour_of, "colour"), (shape_of, "shape")):
                turn = ask(facts, random.Random(1), obj, style="grounded")
                if turn is None:
                    continue
                check_fact(truth, turn.fact, turn.answer, question=turn.question)
                value = getattr(obj, hidden)
                assert turn.answer.index(obj.box) < turn.answer.index(value)
                assert value not in turn.answer[:turn.answer.index(obj.box)]  # not guessed before the box
                direct = ask(facts, random.Random(1), obj)
                assert direct.question == turn.question and direct.answer != turn.answer
                checked += 1
    assert checked, "no askable object in the test scenes"


def _box_height(box: str) -> str:
    _, y1, _, y2 = (float(c) for c in box.strip("[]").split(", "))
    return f"{y2 - y1:.2f}"


def test_an_object_named_by_its_size_is_picked_by_comparing_box_heights(sized_truths):
    """ "What colour is the small cube?": the grounded answer lists the cubes left to right with their
    boxes' heights, says which height is the smallest, and names that object's colour; where the heights
    at two decimals do not pick the asked object out, it answers without the comparison."""
    seen = {"compared": 0, "three": 0, "uncompared": 0}
    for truth in sized_truths:
        facts = SceneFacts(truth)
        for obj in facts.visible:
            for ask, hidden in ((colour_of, "colour"), (shape_of, "shape")):
                turn = ask(facts, random.Random(2), obj, style="grounded")
                if turn is None or not re.search(r"\b(small|large)\b", turn.question):
                    continue
                check_fact(truth, turn.fact, turn.answer, question=turn.question)
                ref = facts.unique_reference(obj)
                size, kind = ref.split()[0], ("shape" if ref.split()[-1] != "object" else "colour")
                group = [o for o in facts.left_to_right() if getattr(o, kind) == getattr(obj, kind)]
                heights = [_box_height(o.box) for o in group]
                extreme = (min if size == "small" else max)(heights, key=float)
                value = getattr(obj, hidden)
                first = answers.first_colour if hidden == "colour" else answers.first_shape
                assert first(turn.answer) == value  # what the benchmark reads is the asked object's
                if heights.count(extreme) != 1 or group[heights.index(extreme)] is not obj:
                    assert "height" not in turn.answer and turn.answer.index(obj.box) < turn.answer.index(value)
                    seen["uncompared"] += 1
                    continue
                listed = [f"{o.box} of height {h}" for o, h in zip(group, heights)]
                positions = [turn.answer.index(item) for item in listed]
                assert positions == sorted(positions), turn.answer
                assert " and " not in turn.answer.split(". Of ")[0]  # a comma after each, as counting lists
                ordinal = ("first", "second", "third")[group.index(obj)]
                word = {"small": ("smaller", "smallest"), "large": ("larger", "largest")}[size][len(group) > 2]
                assert f"Of {join_phrases(heights)}, the {ordinal} is {'the ' * (len(group) > 2)}{word}" in turn.answer
                said = value if hidden == "colour" else ("an " if value[0] in "aeiou" else "a ") + value
                assert turn.answer.endswith(f"so the {ref} {obj.box} is {said}."), turn.answer
                seen["compared"] += 1
                seen["three"] += len(group) == 3
    assert all(seen.values()), seen


def test_size_drills_are_the_attribute_questions_that_name_a_size(truths, sized_truths, tmp_path):
    for truth in truths + sized_truths:
        facts = SceneFacts(truth)
        drills = attribute_turns(facts, random.Random(0))
        sized = size_turns(facts, random.Random(0))
        assert sized == [t for t in drills if re.search(r"\b(small|large)\b", t.question)]
    assert any(size_turns(SceneFacts(t), random.Random(0)) for t in sized_truths)
    paths = generate(SIZED_SEEDS, tmp_path, kinds=["size"], width=96, height=96, progress=False)
    assert set(paths) == {"sizes", "images"} and paths["sizes"].name == "stage2_sizes.json"
    questions = [r["conversations"][0]["value"] for r in read_llava_json(paths["sizes"])]
    assert questions and all(re.search(r"\b(small|large)\b", q) for q in questions)
