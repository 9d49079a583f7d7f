"""Teacher-forced verdicts: where each grounded answer decides, and the greedy check at that point."""
import json
import random
import re

import pytest
import torch

from llava_ros.eval.benchmarks import sim
from llava_ros.eval.benchmarks.heldout import render_truth
from llava_ros.model import ImageProcessor, load_model, load_tokenizer, preprocess
from sim.captions import count_word
from tests.tiny import save_tiny_checkpoint
from training.data.scene_facts import SceneFacts
from training.probe_verdicts import MATCH_KINDS, VERDICTS, main as probe_main, match_kind, split_at_verdict, verdict_right
from tests.training.test_rules_teacher import _question_pair

SEEDS = range(1_000_000_000, 1_000_000_004)


def _expected(family, turn):
    fact = turn.fact
    if family == "exists":
        return "yes" if fact["answer"] else "no"
    if family == "count":
        return f"{'is' if fact['n'] == 1 else 'are'} {count_word(fact['n']) if fact['n'] else 'no'}"
    # left_of, in_front_of: the first object asked about is the left or the nearer one
    return "smaller" if _question_pair(turn.question)[0] == fact["a"] else "larger"


def test_split_at_verdict_finds_each_familys_decision():
    seen = set()
    for seed in SEEDS:
        facts = SceneFacts(render_truth(seed)[1])
        for family in VERDICTS:
            for k in range(sim.DRAWS[family]):
                turn = sim.draw_turn(facts, seed, family, k, style="grounded")
                if turn is None:
                    continue
                before, verdict = split_at_verdict(family, turn.answer)
                assert turn.answer.startswith(before + verdict) and verdict == _expected(family, turn), turn.answer
                seen.add((family, verdict))
    assert {f for f, _ in seen} == set(VERDICTS) and {("exists", "yes"), ("exists", "no")} <= seen
    with pytest.raises(ValueError, match="no exists verdict"):
        split_at_verdict("exists", "No, there is no red cone in the image.")  # a direct answer decides first


def test_match_kind_says_what_the_grounded_object_shares_with_the_label():
    kinds = set()
    for seed in SEEDS:
        facts = SceneFacts(render_truth(seed)[1])
        for label in [o.label for o in facts.visible] + facts.absent_labels():
            kind, turn = match_kind(facts, label), sim.conversation.is_there(facts, random.Random(0), "grounded", label=label)
            named_colour, named_shape = re.search(r"closest match to an? \w+ \w+ is the (\w+) (\w+),", turn.answer).groups()
            colour, shape = label.split()
            assert kind == {(True, True): "itself", (True, False): "same colour", (False, True): "same shape",
                            (False, False): "neither"}[(named_colour == colour, named_shape == shape)], turn.answer
            kinds.add(kind)
    assert kinds == set(MATCH_KINDS) - {"empty table"}


def _word_tokens(tokenizer):
    """Vocabulary entries that are a whole word ("▁red"): one token before the answer's end."""
    return {tid: tok[1:] for tok, tid in tokenizer.get_vocab().items()
            if tok.startswith("▁") and tok[1:].isalpha() and len(tok) > 2}


def test_verdict_right_is_the_greedy_next_token(tmp_path):
    """Checked against a plain forward pass on the prompt up to the word, read at its last position."""
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    model, tokenizer = load_model(folder).eval(), load_tokenizer(folder)
    pixels = ImageProcessor(model.vision.config)(render_truth(SEEDS[0], 64, 64)[0])
    words = _word_tokens(tokenizer)
    question = "Is there a red cube?"
    agreed = []
    for before in ("The closest match is the red cube, so ", "It is ", "the ", "A chat "):
        for tid, word in words.items():
            turns = [{"from": "human", "value": "<image>\n" + question}, {"from": "gpt", "value": before + word}]
            full = preprocess(turns, tokenizer, model.config.template, image_token_id=model.config.image_token_id,
                              image_token="<image>", has_image=True).input_ids
            at = max(i for i in range(len(full)) if full[i] == tid)
            with torch.no_grad():
                expected = int(model(full[None, :at], pixel_values=pixels).logits[0, -1].argmax()) == tid
            assert verdict_right(model, tokenizer, pixels, question, before, word) == expected, (before, word)
            agreed.append(expected)
    assert any(agreed) and not all(agreed)


def test_probe_command_writes_accuracies(tmp_path, capsys):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    out = tmp_path / "verdicts.json"
    assert probe_main(["--model", str(folder), "--seeds", "1000000000:1000000002", "--size", "64",
                       "--out", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    assert set(result["accuracy"]) == set(VERDICTS) and sum(result["asked"].values()) > 0
    assert all(0.0 <= a <= 1.0 for f, a in result["accuracy"].items() if result["asked"][f])
    assert "teacher-forced grounding" in capsys.readouterr().out
    by_match = result["exists_by_match"]
    assert set(by_match) == set(MATCH_KINDS) and sum(k["asked"] for k in by_match.values()) == result["asked"]["exists"]
    items = result["items"]
    assert len(items) == sum(result["asked"].values())
    for family in VERDICTS:
        mine = [i["right"] for i in items if i["family"] == family]
        assert len(mine) == result["asked"][family]
        if mine:
            assert sum(mine) / len(mine) == pytest.approx(result["accuracy"][family])
