import pytest

from llava_ros.model import IGNORE_INDEX, TokenizationMismatchError, build_prompt, get_template, preprocess
from llava_ros.model.tokenization import move_image_to_front

VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                 "The assistant gives helpful, detailed, and polite answers to the user's questions.")
LLAVA_SYSTEM = ("A chat between a curious human and an artificial intelligence assistant. "
                "The assistant gives helpful, detailed, and polite answers to the human's questions.")
TURNS = [
    {"from": "human", "value": "What is on the table?\n<image>"},
    {"from": "gpt", "value": "A red cube and a blue ball."},
    {"from": "human", "value": "Where is the green cylinder?"},
    {"from": "gpt", "value": "It is left of the red cube."},
]


def test_vicuna_v1_prompt_string():
    conv = get_template("vicuna_v1")
    conv.append_message("USER", "<image>\nWhat is on the table?")
    conv.append_message("ASSISTANT", "A red cube.")
    conv.append_message("USER", "Where?")
    conv.append_message("ASSISTANT", None)
    assert conv.get_prompt() == (VICUNA_SYSTEM + " USER: <image>\nWhat is on the table? ASSISTANT: A red cube.</s>"
                                 "USER: Where? ASSISTANT:")
    assert conv.stop_str == "</s>"
    assert build_prompt("What is on the table?") == VICUNA_SYSTEM + " USER: <image>\nWhat is on the table? ASSISTANT:"
    assert build_prompt("Hi", "llava_v1", image_token=None) == LLAVA_SYSTEM + " USER: Hi ASSISTANT:"


def test_plain_prompt_string():
    conv = get_template("plain")
    conv.append_message("", "<image>\n")
    conv.append_message("", None)
    assert conv.get_prompt() == "<image>\n\n"
    assert build_prompt("Describe.", "plain") == "<image>\nDescribe.\n"
    assert get_template("plain").stop_str == "\n"
    with pytest.raises(ValueError, match="unknown conversation template 'v9'"):
        get_template("v9")


def decode_labels(tokenizer, labels):
    return tokenizer.decode([t for t in labels.tolist() if t != IGNORE_INDEX])


def test_v1_masking_keeps_only_assistant_tokens(tokenizer):
    img = tokenizer.convert_tokens_to_ids("<image>")
    out = preprocess(TURNS, tokenizer, "vicuna_v1", image_token_id=img)
    assert out.input_ids.shape == out.labels.shape
    assert (out.input_ids == img).sum() == 1 and out.input_ids[0] == tokenizer.bos_token_id
    kept = out.labels != IGNORE_INDEX
    assert (out.labels[kept] == out.input_ids[kept]).all()
    # exactly the two answers plus their </s>
    pieces, current = [], []
    for token, keep in zip(out.input_ids.tolist(), kept.tolist()):
        if keep:
            current.append(token)
        elif current:
            pieces.append(current)
            current = []
    pieces += [current] if current else []
    assert [tokenizer.decode(p) for p in pieces] == ["A red cube and a blue ball.</s>", "It is left of the red cube.</s>"]
    # the image token moved to the front of its message, as preprocess_multimodal does
    assert move_image_to_front(TURNS)[0]["value"] == "<image>\nWhat is on the table?"
    first_user = out.input_ids.tolist().index(img)
    assert tokenizer.convert_ids_to_tokens(out.input_ids[first_user - 2:first_user].tolist()) == ["▁USER:", "▁"]


def test_plain_masking(tokenizer):
    img = tokenizer.convert_tokens_to_ids("<image>")
    turns = [{"from": "human", "value": "Describe.\n<image>"}, {"from": "gpt", "value": "A photo of a red cube."}]
    out = preprocess(turns, tokenizer, "plain", image_token_id=img)
    assert out.input_ids[:2].tolist() == [tokenizer.bos_token_id, img]
    assert (out.labels[:2] == IGNORE_INDEX).all() and (out.labels[2:] != IGNORE_INDEX).all()
    assert decode_labels(tokenizer, out.labels).strip() == "A photo of a red cube.\n".strip()
    assert tokenizer.convert_ids_to_tokens(out.input_ids[-1:].tolist())[0].endswith("\n")


def test_tokenization_mismatch_raises(tokenizer):
    """A message containing the separator breaks the round split; the original would silently zero the labels."""
    turns = [{"from": "human", "value": "Say </s> please."}, {"from": "gpt", "value": "A red cube."}]
    with pytest.raises(TokenizationMismatchError, match=r"tokenization mismatch: rounds add up to \d+ tokens but"):
        preprocess(turns, tokenizer, "vicuna_v1", has_image=False)


def test_turns_must_alternate(tokenizer):
    turns = [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]
    with pytest.raises(ValueError, match="turn 1 is from 'human'"):
        preprocess(turns, tokenizer, "vicuna_v1", has_image=False)
