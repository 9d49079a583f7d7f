"""Teacher-forced box copies: each place read from a plain forward pass, and the command's table."""
import json

import pytest
import torch

from llava_ros.eval.benchmarks.heldout import render_truth
from llava_ros.model import ImageProcessor, load_model, load_tokenizer, preprocess
from tests.tiny import save_tiny_checkpoint
from training.probe_box_copies import copy_places, main as probe_main
from training.train.box_negatives import box_negatives

QUESTION = "How many cubes are there?"
ANSWER = ("Looking for cubes: the red cube [0.34, 0.60, 0.45, 0.74], the blue cube [0.66, 0.59, 0.81, 0.75], "
          "the green cube [0.12, 0.20, 0.30, 0.41], so there are three.")


def test_each_place_is_the_prediction_of_the_prefix_before_it(tmp_path):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    model, tokenizer = load_model(folder).eval(), load_tokenizer(folder)
    pixels = ImageProcessor(model.vision.config)(render_truth(1_000_000_000, 64, 64)[0])
    places = copy_places(model, tokenizer, pixels, QUESTION, ANSWER)

    def encode(turns):
        return preprocess(turns, tokenizer, model.config.template, image_token_id=model.config.image_token_id,
                          image_token="<image>", has_image=True)
    turns = [{"from": "human", "value": "<image>\n" + QUESTION}, {"from": "gpt", "value": ANSWER}]
    tokens = encode(turns)
    negatives = box_negatives(turns, lambda c: encode(c).input_ids, tokens.input_ids, tokens.labels).tolist()
    assert len(places) == len(negatives) >= 3  # the second box after the first, the third after both
    for (p_copy, wins), (position, copied) in zip(places, negatives):
        with torch.no_grad():
            probs = torch.softmax(model(tokens.input_ids[None, :position], pixel_values=pixels).logits[0, -1], -1)
        assert p_copy == pytest.approx(float(probs[copied]), abs=1e-5)
        assert wins == bool(probs[copied] > probs[tokens.input_ids[position]])
    assert copy_places(model, tokenizer, pixels, QUESTION, "Looking for cubes: the red cube "
                       "[0.34, 0.60, 0.45, 0.74], so there is one.") == []


def test_probe_command_writes_shares_per_family(tmp_path, capsys):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    out = tmp_path / "copies.json"
    assert probe_main(["--model", str(folder), "--seeds", "1000000000:1000000003", "--size", "64",
                       "--out", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    families = result["by_family"]
    assert "count" in families and result["all"]["places"] == sum(f["places"] for f in families.values()) > 0
    for row in [result["all"], *families.values()]:
        assert 0.0 <= row["copy_wins"] <= 1.0 and 0.0 <= row["p_copy"] <= 1.0
    printed = capsys.readouterr().out
    assert "| all |" in printed and "copy outranks the true token" in printed
