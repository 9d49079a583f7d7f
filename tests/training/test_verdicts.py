"""Verdict drills on real rendered scenes: balanced yes/no (with a colour-swap pair where the scene has
one), two relations and a count per scene, each a grounded answer of the rules teacher that states the
truth, one question per record."""
import random

from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.data.scene_facts import SceneFacts
from training.data.teachers.rules.reasoning import front_behind, left_right
from training.data.teachers.rules.conversation import closest_match
from training.data.verdicts import SWAPS_PER_SCENE, colour_swaps, swap_turns, verdict_turns
from tests.training.test_rules_teacher import check_fact

RNG_SEEDS = range(10)


def test_balanced_true_grounded_turns(truths, edge_truths):
    for truth in truths + edge_truths:
        facts = SceneFacts(truth)
        visible = [o for o in truth["objects"] if o["bbox_xyxy"] is not None]
        # whether a relation can be asked depends on the scene's object pairs, not on the draw
        askable = {kind for kind, ask in (("left_of", left_right), ("in_front_of", front_behind))
                   if ask(facts, random.Random(0)) is not None}
        for seed in RNG_SEEDS:
            turns = verdict_turns(facts, random.Random(seed))
            for turn in turns:
                check_fact(truth, turn.fact, turn.answer, style="grounded", question=turn.question)
            exists = [t for t in turns if t.fact["type"] == "exists"]
            swapped = bool(colour_swaps(facts))
            assert [t.fact["answer"] for t in exists] == ([True, False] if visible else [False]) + [False, True] * swapped
            if swapped:  # the absent label's match: its shape in another colour, asked about next
                absent, match = exists[2].fact["label"], closest_match(facts, exists[2].fact["label"])
                assert match.shape == absent.split()[1] and match.colour != absent.split()[0]
                assert exists[3].fact["label"] == match.label
            others = [t.fact["type"] for t in turns if t.fact["type"] != "exists"]
            assert others[-1] == "count" and len(others) == len(set(others))
            assert set(others) - {"count"} == askable


def test_colour_swaps_are_absent_and_match_by_shape_alone(truths, edge_truths):
    swaps = []
    for truth in truths + edge_truths:
        facts = SceneFacts(truth)
        swaps.append(colour_swaps(facts))
        for label in swaps[-1]:
            match = closest_match(facts, label)
            assert label in facts.absent_labels()
            assert match.shape == label.split()[1] and match.colour != label.split()[0]
        if not facts.visible:
            assert swaps[-1] == []
    assert any(swaps), "no test scene has a colour swap; the drill's pair is untested"


def test_swap_drills_pair_each_absent_label_with_its_match(truths, edge_truths):
    drawn = set()
    for truth in truths + edge_truths:
        facts = SceneFacts(truth)
        swaps = colour_swaps(facts)
        for seed in RNG_SEEDS:
            turns = swap_turns(facts, random.Random(seed))
            assert len(turns) == 2 * min(SWAPS_PER_SCENE, len(swaps))
            for turn in turns:
                check_fact(truth, turn.fact, turn.answer, style="grounded", question=turn.question)
            absent, present = turns[0::2], turns[1::2]
            assert len({t.fact["label"] for t in absent}) == len(absent)
            for no, yes in zip(absent, present):
                assert no.fact["label"] in swaps and (no.fact["answer"], yes.fact["answer"]) == (False, True)
                assert yes.fact["label"] == closest_match(facts, no.fact["label"]).label
            drawn |= {t.fact["label"] for t in absent}
    assert len(drawn) > SWAPS_PER_SCENE, "the drills never vary which absent labels they ask about"


def test_generate_writes_one_record_per_question(tmp_path):
    paths = generate([21, 22], tmp_path, kinds=["verdict"], width=96, height=96, progress=False)
    assert set(paths) == {"verdicts", "images"} and paths["verdicts"].name == "stage2_verdicts.json"
    records = read_llava_json(paths["verdicts"])
    assert len(records) >= 2 * 3
    assert all(len(r["conversations"]) == 2 and r["conversations"][0]["value"].startswith("<image>\n")
               for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert {r["image"] for r in records} == {"000021.png", "000022.png"}


def test_generate_writes_swap_drills_to_their_own_file(tmp_path):
    paths = generate(range(21, 27), tmp_path, kinds=["swap"], width=96, height=96, progress=False)
    assert set(paths) == {"swaps", "images"} and paths["swaps"].name == "stage2_swaps.json"
    records = read_llava_json(paths["swaps"])
    assert records and len(records) % 2 == 0 and len({r["id"] for r in records}) == len(records)
    answers = [r["conversations"][1]["value"] for r in records]
    assert all(", so no, " in a for a in answers[0::2]) and all(", so yes, " in a for a in answers[1::2])
