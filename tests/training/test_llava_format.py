"""The original LLaVA JSON format: samples shaped like LLaVA-Instruct-158K and LCS-558K."""
import copy
import json

import pytest

from training.data.llava_format import (make_record, question_text, read_llava_json, validate_record,
                                        write_llava_json)

# Shaped like llava_instruct_150k.json / detail_23k.json (the "<image>" placeholder as a prefix in
# conversations, as a suffix in some detail records).
INSTRUCT_158K = [
    {"id": "000000033471", "image": "000000033471.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhat are the colors of the bus in the image?"},
        {"from": "gpt", "value": "The bus in the image is white and red."},
        {"from": "human", "value": "What feature can be seen on the back of the bus?"},
        {"from": "gpt", "value": "The back of the bus features an advertisement."}]},
    {"id": "000000052846", "image": "000000052846.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhy might these zebras choose to stand together?"},
        {"from": "gpt", "value": "Standing together may help the zebras confuse predators."}]},
    {"id": "000000334872", "image": "000000334872.jpg", "conversations": [
        {"from": "human", "value": "Describe the following image in detail\n<image>"},
        {"from": "gpt", "value": "The image shows a kitchen with white cabinets and a window."}]},
]

# Shaped like blip_laion_cc_sbu_558k.json (LCS-558K; CC-595K's chat.json has the same shape).
LCS_558K = [
    {"id": "004539375", "image": "00453/004539375.jpg", "conversations": [
        {"from": "human", "value": "Render a clear and concise summary of the photo.\n<image>"},
        {"from": "gpt", "value": "select luxury furniture 3 - inch gel memory foam mattress topper"}]},
    {"id": "002239345", "image": "00223/002239345.jpg", "conversations": [
        {"from": "human", "value": "Write a terse but informative summary of the picture.\n<image>"},
        {"from": "gpt", "value": "a grey watch with an army style strap"}]},
    {"id": "001530544", "image": "00153/001530544.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhat is this?"},
        {"from": "gpt", "value": "a close up of a red flower in a garden"}]},
]


@pytest.mark.parametrize("records", [INSTRUCT_158K, LCS_558K], ids=["instruct158k", "lcs558k"])
def test_reads_and_round_trips_original_files(tmp_path, records):
    src = tmp_path / "src.json"
    src.write_text(json.dumps(records))
    loaded = read_llava_json(src)
    assert loaded == records
    out = write_llava_json(tmp_path / "out.json", loaded)
    assert read_llava_json(out) == records


def test_make_record_writes_the_prefix_form():
    record = make_record("sim000001_conversation", "000001.png",
                         [("What colour is the cone?", "Blue."), ("How many objects?", "Three.")])
    assert record["conversations"][0] == {"from": "human", "value": "<image>\nWhat colour is the cone?"}
    assert [t["from"] for t in record["conversations"]] == ["human", "gpt", "human", "gpt"]
    assert question_text(record["conversations"][0]["value"]) == "What colour is the cone?"
    assert question_text(LCS_558K[0]["conversations"][0]["value"]) == "Render a clear and concise summary of the photo."
    text_only = make_record("t1", None, [("Hi?", "Hello.")])
    assert "image" not in text_only and text_only["conversations"][0]["value"] == "Hi?"


def _edit(path, value):
    record = copy.deepcopy(INSTRUCT_158K[0])
    target = record
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return record


@pytest.mark.parametrize("record, message", [
    (_edit(["conversations", 0, "value"], "What are the colors?"), "needs exactly one <image>"),
    (_edit(["conversations", 2, "value"], "<image>\nAnd now?"), "found 1 there and 1 in later turns"),
    (_edit(["conversations", 0, "value"], "What <image> colors?"), "must open the first turn"),
    (_edit(["conversations", 1, "from"], "human"), "turn 1 is from 'human', expected 'gpt'"),
    (_edit(["conversations", 3, "value"], "  "), "turn 3 \\(gpt\\) has an empty"),
    (_edit(["conversations", 3], {"from": "gpt"}), "turn 3 must be"),
    (_edit(["conversations"], INSTRUCT_158K[0]["conversations"][:3]), "3 turns"),
    (_edit(["conversations"], []), "non-empty list"),
    (_edit(["image"], ""), "'image' must be a non-empty"),
    (_edit(["image"], KeyError), "has <image> but no 'image'"),
])
def test_validation_errors_name_record_and_problem(record, message):
    with pytest.raises(ValueError, match=message) as err:
        validate_record(record)
    assert "'000000033471'" in str(err.value)


def test_file_level_errors(tmp_path):
    with pytest.raises(ValueError, match="'id' must be a non-empty"):
        validate_record({"conversations": []})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x"}))
    with pytest.raises(ValueError, match="must be a JSON list"):
        read_llava_json(bad)
    bad.write_text(json.dumps(LCS_558K[:1] + [_edit(["conversations", 1, "from"], "human")]))
    with pytest.raises(ValueError, match=r"bad\.json: record '000000033471': turn 1"):
        read_llava_json(bad)
    with pytest.raises(ValueError, match="record '004539375': duplicate id"):
        write_llava_json(tmp_path / "dup.json", LCS_558K[:1] * 2)
