"""Region records (LLaVA-1.5's RefCOCO/VG prompts) on real rendered scenes: every visible object is
asked once, each box is the ground-truth box, and each referring phrase picks out that object alone."""
import json
import random

import pytest

from llava_ros.boxes import format_box
from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.data.regions import DESCRIBE_PROMPT, REFER_PROMPT, region_turns
from training.data.scene_facts import SceneFacts

RNG_SEEDS = range(20)


def _visible(truth):
    return {o["label"]: o for o in truth["objects"] if o["bbox_xyxy"] is not None}


def _matches(phrase: str, obj: dict) -> bool:
    """Whether every word of ``phrase`` (minus "the" / "object") is one of ``obj``'s attributes."""
    words = [w for w in phrase.split() if w not in ("the", "object")]
    return all(w in (obj["colour"], obj["shape"], obj["size"]) for w in words)


def test_every_visible_object_once_with_its_true_box(truths, edge_truths):
    for truth in truths + edge_truths:
        visible = _visible(truth)
        w, h = truth["camera"]["width"], truth["camera"]["height"]
        for s in RNG_SEEDS:
            turns = region_turns(SceneFacts(truth), random.Random(s))
            assert sorted(t.fact["label"] for t in turns) == sorted(visible)
            for turn in turns:
                obj = visible[turn.fact["label"]]
                box = format_box(obj["bbox_xyxy"], w, h)
                if turn.fact["type"] == "refer":
                    assert turn.answer == box
                    phrase = turn.question.removeprefix(REFER_PROMPT.format(""))
                    assert [label for label, o in visible.items() if _matches(phrase, o)] == [obj["label"]], phrase
                else:
                    assert turn.question == DESCRIBE_PROMPT.format(box)
                    assert obj["label"] in turn.answer


def test_both_prompts_are_used(truths):
    kinds = {t.fact["type"] for truth in truths for s in RNG_SEEDS
             for t in region_turns(SceneFacts(truth), random.Random(s))}
    assert kinds == {"refer", "describe_region"}


def test_generate_writes_region_records_only_when_asked(tmp_path):
    paths = generate([21], tmp_path, kinds=["region"], width=96, height=96, progress=False)
    assert set(paths) == {"regions", "images"}
    assert paths["regions"].name == "stage2_regions.json"
    records = read_llava_json(paths["regions"])
    assert [r["id"] for r in records] == ["sim000021_region"]
    questions = [c["value"] for c in records[0]["conversations"][::2]]
    assert questions[0].startswith("<image>\n")
    assert all(REFER_PROMPT.format("") in q or DESCRIBE_PROMPT.format("")[:-1] in q for q in questions)
    with pytest.raises(ValueError, match="unknown response kind 'regions'"):
        generate([21], tmp_path, kinds=["regions"], progress=False)


def test_one_object_curriculum_scenes(tmp_path):
    paths = generate([21, 22], tmp_path, kinds=["region"], width=96, height=96, progress=False, n_objects=1)
    assert paths["regions"].name == "stage2_regions_1obj.json"
    records = read_llava_json(paths["regions"])
    assert [r["image"] for r in records] == ["000021_1obj.png", "000022_1obj.png"]
    for record in records:
        truth = json.loads((paths["images"] / record["image"].replace(".png", ".scene.json")).read_text())
        assert len(truth["objects"]) == 1
        assert len(record["conversations"]) == 2
    # other object counts get their own images and files next to these
    again = generate([21], tmp_path, kinds=["region"], width=96, height=96, progress=False,
                     reuse_renders=True, n_objects=2)
    truth = json.loads((again["images"] / "000021_2obj.scene.json").read_text())
    assert len(truth["objects"]) == 2
    assert again["regions"].name == "stage2_regions_2obj.json"
