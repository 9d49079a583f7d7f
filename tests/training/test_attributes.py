"""Attribute drills on real rendered scenes: a colour and a shape question about every object that a
reference without that attribute singles out, true answers, one question per record."""
import random
import re

from llava_ros.eval import answers
from sim.catalogue import COLOURS, SHAPES
from training.data.attributes import attribute_turns, size_turns
from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.data.scene_facts import SceneFacts
from training.data.teachers.rules.conversation import colour_of, shape_of, size_of
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


def test_an_object_named_by_its_size_is_picked_by_listing_the_candidates_with_their_sizes(sized_truths):
    """ "What colour is the small cube?": the grounded answer lists the cubes left to right, each with its
    box and then its true size, colour and shape, and its verdict repeats the asked object's description
    after the same two words ("a small") that precede it once in the listing; the benchmark reads the
    colour (or shape) from the verdict."""
    seen = {"two": 0, "three": 0, "by colour": 0}
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
                assert [o.size for o in group].count(size) == 1 and len(group) >= 2
                described = [f"{o.box} is a {o.size} {o.label}" for o in group]
                positions = [turn.answer.index(item) for item in described]
                assert positions == sorted(positions), turn.answer
                assert "height" not in turn.answer and " and " not in turn.answer  # a comma after each
                listing, verdict = turn.answer.split(", so the ")
                assert listing.count(f" a {size} ") == 1  # the words the verdict's copy follows
                assert verdict == f"{ref} is a {size} {obj.label} {obj.box}.", turn.answer
                first = answers.first_colour if hidden == "colour" else answers.first_shape
                assert first(turn.answer) == getattr(obj, hidden)  # what the benchmark reads is the asked object's
                seen["two" if len(group) == 2 else "three"] += 1
                seen["by colour"] += kind == "colour"
    assert all(seen.values()), seen


def test_a_size_question_boxes_its_object_before_it_names_the_size(sized_truths):
    checked = 0
    for truth in sized_truths:
        facts = SceneFacts(truth)
        for obj in facts.visible:
            turn = size_of(facts, random.Random(3), obj, style="grounded")
            if len(facts.matching(colour=obj.colour, shape=obj.shape)) > 1:
                assert turn is None  # "the red cube" would not say which
                continue
            check_fact(truth, turn.fact, turn.answer, question=turn.question)
            assert turn.question.count(obj.label) == 1
            assert turn.answer.index(obj.box) < turn.answer.index(f" {obj.size}")
            assert f"{obj.box} is {obj.size}." in turn.answer or f"{obj.box}: it is {obj.size}." in turn.answer
            checked += 1
    assert checked


def test_size_drills_are_the_size_named_attribute_questions_then_a_size_question_per_object(truths, sized_truths, tmp_path):
    for truth in truths + sized_truths:
        facts = SceneFacts(truth)
        drills = attribute_turns(facts, random.Random(0))
        sized = size_turns(facts, random.Random(0))
        named = [t for t in drills if re.search(r"\b(small|large)\b", t.question)]
        assert sized[:len(named)] == named
        assert [t.fact for t in sized[len(named):]] == [
            {"type": "size", "label": o.label, "size": o.size} for o in facts.left_to_right()
            if len(facts.matching(colour=o.colour, shape=o.shape)) == 1]
    assert any(size_turns(SceneFacts(t), random.Random(0)) for t in sized_truths)
    paths = generate(SIZED_SEEDS, tmp_path, kinds=["size"], width=96, height=96, progress=False)
    assert set(paths) == {"sizes", "images"} and paths["sizes"].name == "stage2_sizes.json"
    questions = [r["conversations"][0]["value"] for r in read_llava_json(paths["sizes"])]
    assert questions and all(re.search(r"\b(small|large|size|big)\b", q) for q in questions)
    assert any(re.search(r"(colour|shape|kind)", q) for q in questions) and any("big" in q for q in questions)
