"""The BPE tokenizer trained on LLaVA JSON text: special tokens, round trips, compact numbers, templates."""
import re

import pytest

from llava_ros.model import load_tokenizer, preprocess
from training.data.generate import generate
from training.data.llava_format import read_llava_json
from training.tokenizer import SPECIAL_TOKENS, build_tokenizer, corpus, main, train_from_llava_json, train_tokenizer


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return generate([6, 7, 8], tmp_path_factory.mktemp("tok_data"), width=64, height=64, progress=False)


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokenizer")
    assert main(["--data", str(data["stage1"]), str(data["stage2"]), "--out", str(folder), "--vocab-size", "1000"]) == 0
    return folder


def test_special_tokens_and_saved_folder_load(saved):
    tok = load_tokenizer(saved)
    assert tok.convert_ids_to_tokens(list(range(5))) == list(SPECIAL_TOKENS)
    assert (tok.bos_token, tok.eos_token, tok.unk_token, tok.pad_token) == ("<s>", "</s>", "<unk>", "<pad>")
    assert tok.convert_tokens_to_ids("<image>") == 4
    assert 300 < len(tok) <= 1000
    ids = tok("USER: hi</s>").input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id  # BOS added, </s> one special token


@pytest.mark.parametrize("text", [
    "The red cube [0.67, 0.59, 0.80, 0.75] is about 0.78 m away.",
    "  Ünïcode, tabs\tand\nnewlines: 12.5% — never unknown!",
])
def test_round_trip(saved, text):
    tok = load_tokenizer(saved)
    ids = tok(text).input_ids
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text


def pieces(numbers: str, text: str) -> list[str]:
    return [p for p, _ in build_tokenizer(numbers).pre_tokenizer.pre_tokenize_str(text)]


def test_digits_mode_splits_every_decimal_digit():
    assert pieces("digits", "[0.41, 0.52] about 12.5 m, 6 objects") == [
        "[", "0.", "4", "1", ",", "Ġ0.", "5", "2", "]", "Ġabout", "Ġ12.", "5", "Ġm", ",", "Ġ6", "Ġobjects"]


def test_whole_mode_keeps_decimal_numbers_whole():
    assert pieces("whole", "[0.41, 0.52] about 12.5 m")[:5] == ["[", "0.41", ",", "Ġ0.52", "]"]
    assert "Ġ12.5" in pieces("whole", "about 12.5 m")
    with pytest.raises(ValueError, match="unknown numbers mode 'roman'"):
        build_tokenizer("roman")


def test_digits_mode_spells_a_box_with_shared_digit_tokens(data, saved):
    tok = load_tokenizer(saved)
    ids = tok(" [0.41, 0.52, 0.49, 0.61]", add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(ids) == ["Ġ[", "0.", "4", "1", ",", "Ġ0.", "5", "2", ",", "Ġ0.", "4", "9",
                                              ",", "Ġ0.", "6", "1", "]"]


def test_whole_mode_makes_frequent_box_coordinates_single_tokens(data, tmp_path):
    main(["--data", str(data["stage1"]), str(data["stage2"]), "--out", str(tmp_path), "--vocab-size", "1000",
          "--numbers", "whole"])
    tok = load_tokenizer(tmp_path)
    text = "\n".join(corpus(read_llava_json(data["stage2"])))
    counts: dict[str, int] = {}
    for number in re.findall(r" \d\.\d\d", text):
        counts[number] = counts.get(number, 0) + 1
    frequent = [n for n, c in counts.items() if c >= 10]
    assert frequent
    for number in frequent:
        assert len(tok(number, add_special_tokens=False).input_ids) == 1, number
    assert len(tok(" [0.41, 0.52, 0.49, 0.61]", add_special_tokens=False).input_ids) <= 13


def test_every_record_preprocesses_without_mismatch(data, saved):
    tok = load_tokenizer(saved)
    image_id = tok.convert_tokens_to_ids("<image>")
    for path, template in ((data["stage1"], "plain"), (data["stage2"], "vicuna_v1"), (data["stage2"], "llava_v1")):
        for record in read_llava_json(path):
            out = preprocess(record["conversations"], tok, template, image_token_id=image_id)
            assert (out.input_ids == image_id).sum() == 1 and (out.labels != -100).any()


def test_vocab_size_is_checked():
    with pytest.raises(ValueError, match="vocab_size 100 is below 261"):
        train_tokenizer(["hello"], vocab_size=100)
    with pytest.raises(ValueError, match="no records"):
        train_from_llava_json([])
