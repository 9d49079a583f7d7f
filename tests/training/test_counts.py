"""Counting drills on real rendered scenes: every shape, every colour on the table and everything counted,
true grounded answers, one question per record."""
import copy
import random

from sim.catalogue import COLOURS, SHAPES
from training.data.counts import count_turns
from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.data.scene_facts import LEFT_RIGHT_MARGIN, SceneFacts
from llava_ros.boxes import parse_boxes
from training.data.teachers.rules.conversation import how_many
from tests.training.test_rules_teacher import check_fact


def _counted(turn):
    return turn.fact["shape"] or turn.fact["colour"] or "all"


def test_every_shape_every_colour_on_the_table_and_everything_is_counted(truths, edge_truths):
    nonzero = zero = 0
    for truth in truths + edge_truths:
        facts = SceneFacts(truth)
        turns = count_turns(facts, random.Random(0))
        for turn in turns:
            assert turn.fact["type"] == "count"
            check_fact(truth, turn.fact, turn.answer, style="grounded", question=turn.question)
            nonzero, zero = nonzero + (turn.fact["n"] > 0), zero + (turn.fact["n"] == 0)
        on_table = [c for c in COLOURS if any(o.colour == c for o in facts.visible)]
        assert [_counted(t) for t in turns] == [*SHAPES, *on_table, "all"]
    assert nonzero and zero, "the test scenes never count both some objects and none"


def test_a_fixed_count_is_the_drawn_one_without_its_draws(truths):
    """``attrs`` replaces only the draw of what to count: drawing it first, then fixing it, gives the turn
    the default draw gives (so the earlier data regenerates unchanged), and the fixed set is counted."""
    facts = SceneFacts(truths[0])
    for seed in range(12):
        rng = random.Random(seed)
        attrs = rng.choice([{"colour": rng.choice(list(COLOURS))}, {"shape": rng.choice(SHAPES)}, {}])
        assert how_many(facts, rng, "grounded", attrs) == how_many(facts, random.Random(seed), "grounded")
    fixed = how_many(facts, random.Random(0), "grounded", {"shape": "cube"})
    assert (fixed.fact["shape"], fixed.fact["colour"]) == ("cube", None) and "cube" in fixed.question


def test_generate_writes_count_drills_to_their_own_file(tmp_path):
    paths = generate(range(21, 25), tmp_path, kinds=["count"], width=96, height=96, progress=False)
    assert set(paths) == {"counts", "images"} and paths["counts"].name == "stage2_counts.json"
    records = read_llava_json(paths["counts"])
    assert len(records) >= 4 * (len(SHAPES) + 2) and len({r["id"] for r in records}) == len(records)
    assert all(len(r["conversations"]) == 2 and r["conversations"][0]["value"].startswith("<image>\n")
               for r in records)
    assert all("so there" in r["conversations"][1]["value"] for r in records)


def test_near_tied_neighbours_are_listed_in_either_order_and_the_rest_left_to_right(truths):
    """Two objects whose box centres are closer than LEFT_RIGHT_MARGIN of the width come in both orders
    over rng seeds, in the listing a count by their colour gives too; no object comes after one that is
    more than the margin to its right."""
    truth = copy.deepcopy(truths[0])
    vis = sorted((o for o in truth["objects"] if o["bbox_xyxy"]), key=lambda o: sum(o["bbox_xyxy"][::2]))
    assert len(vis) >= 3, "seed 0 shows fewer than three objects"
    x1, y1, x2, y2 = vis[0]["bbox_xyxy"]
    margin = LEFT_RIGHT_MARGIN * truth["camera"]["width"]
    vis[1]["bbox_xyxy"] = [x1 + margin // 2, y1 + 40, x2 + margin // 2, y2 + 40]  # just right of the leftmost
    colour = next(c for c in COLOURS if all(o["colour"] != c for o in truth["objects"]))
    vis[1]["shape"] = next(s for s in SHAPES if s != vis[0]["shape"])
    for obj in vis[:2]:  # the pair alone in a colour, so that a count by that colour lists both
        obj["colour"], obj["label"] = colour, f"{colour} {obj['shape']}"
    facts = SceneFacts(truth)
    u = {o.label: o.u for o in facts.visible}
    tied = (vis[0]["label"], vis[1]["label"])
    orders = set()
    for seed in range(20):
        counted = parse_boxes(how_many(facts, random.Random(seed), "grounded", {"colour": colour}).answer)
        for listed in ([o.label for o in facts.reading_order(facts.visible, random.Random(seed))],
                       [p.removeprefix("the ") for p, _ in counted]):
            assert sorted(listed) in (sorted(u), sorted(tied)) and set(listed[:2]) == set(tied), listed
            assert all(u[b] > u[a] - margin for i, a in enumerate(listed) for b in listed[i + 1:]), listed
            orders.add(tuple(listed[:2]))
    assert orders == {tied, tied[::-1]}, orders
