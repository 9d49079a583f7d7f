"""Prompt tokenisation and label masking (loss only on assistant tokens).

Ports haotian-liu/LLaVA:
- `tokenizer_image_token` (`llava/mm_utils.py`): split the prompt on the image
  token string, tokenise the chunks, insert `image_token_id` between them
  (one id per image; the model expands it into the image features).
- `preprocess_multimodal` (`llava/train/train.py`): the image token moves to
  the front of its message as "<image>\\n".
- `preprocess_v1` / `preprocess_plain` (`llava/train/train.py`), one sample at a time.

Samples use the original JSON data format: a list of
`{"from": "human" | "gpt", "value": str}` turns.

One generalisation: the original masks `len(tokenizer(instruction)) - 2`
tokens per round, the 2 being BOS plus the dangling "▁" that Llama's
SentencePiece leaves after "ASSISTANT: ". We count the instruction tokens that
the round's own tokenisation shares as a prefix, minus BOS: the same number on
Llama tokenizers, and still right on tokenizers without the dangling token.
Where the original prints "WARNING: tokenization mismatch" and zeroes the
labels, we raise `TokenizationMismatchError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from transformers import PreTrainedTokenizerBase

from .config import IGNORE_INDEX, IMAGE_TOKEN_INDEX
from .conversation import SeparatorStyle, get_template

Turn = dict[str, str]  # {"from": "human" | "gpt", "value": "..."}


class TokenizationMismatchError(ValueError):
    """Per-round token counts do not add up to the tokenised conversation."""


@dataclass
class Tokenized:
    input_ids: torch.Tensor  # (T,) long, image positions hold the image token id
    labels: torch.Tensor  # (T,) long, IGNORE_INDEX where no loss is taken


def tokenizer_image_token(prompt: str, tokenizer: PreTrainedTokenizerBase,
                          image_token_id: int = IMAGE_TOKEN_INDEX, image_token: str = "<image>") -> list[int]:
    chunks = [tokenizer(chunk).input_ids for chunk in prompt.split(image_token)]
    input_ids: list[int] = []
    offset = 0
    if chunks and chunks[0] and chunks[0][0] == tokenizer.bos_token_id:
        offset = 1
        input_ids.append(chunks[0][0])
    for i, chunk in enumerate(chunks):
        if i > 0:
            input_ids.append(image_token_id)
        input_ids.extend(chunk[offset:])
    return input_ids


def move_image_to_front(turns: Sequence[Turn], image_token: str = "<image>") -> list[Turn]:
    """The original's `preprocess_multimodal` (without mmtag / im_start_end variants)."""
    out = []
    for turn in turns:
        value = turn["value"]
        if image_token in value:
            value = (image_token + "\n" + value.replace(image_token, "").strip()).strip()
        out.append({**turn, "value": value})
    return out


def _shared_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def preprocess_v1(turns: Sequence[Turn], tokenizer: PreTrainedTokenizerBase, template: str = "vicuna_v1",
                  image_token_id: int = IMAGE_TOKEN_INDEX, image_token: str = "<image>",
                  has_image: bool = True) -> Tokenized:
    conv = get_template(template)
    if conv.sep_style != SeparatorStyle.TWO:
        raise ValueError(f"preprocess_v1 needs a TWO-separator template, {template!r} is {conv.sep_style}")
    roles = {"human": conv.roles[0], "gpt": conv.roles[1]}
    for turn in turns:
        if turn["from"] not in roles:
            raise ValueError(f"turn speaker must be 'human' or 'gpt', got {turn['from']!r}")
    if turns and roles[turns[0]["from"]] != conv.roles[0]:
        turns = turns[1:]  # the original skips a leading non-human turn
    for j, turn in enumerate(turns):
        if roles[turn["from"]] != conv.roles[j % 2]:
            raise ValueError(f"turn {j} is from {turn['from']!r}; turns must alternate human, gpt, ...")
        conv.append_message(roles[turn["from"]], turn["value"])
    prompt = conv.get_prompt()

    def tokenize(text: str) -> list[int]:
        if has_image:
            return tokenizer_image_token(text, tokenizer, image_token_id, image_token)
        return tokenizer(text).input_ids

    input_ids = tokenize(prompt)
    if not input_ids or input_ids[0] != tokenizer.bos_token_id:
        raise ValueError(f"tokenizer must prepend BOS ({tokenizer.bos_token!r}); got ids {input_ids[:5]}...")
    target = list(input_ids)
    sep = conv.sep + conv.roles[1] + ": "
    cur_len = 1
    target[:cur_len] = [IGNORE_INDEX] * cur_len
    for rou in prompt.split(conv.sep2):
        if rou == "":
            break
        parts = rou.split(sep)
        if len(parts) != 2:
            break
        round_ids, instruction_ids = tokenize(rou), tokenize(parts[0] + sep)
        instruction_len = _shared_prefix(round_ids, instruction_ids) - 1  # original: len(instruction_ids) - 2
        target[cur_len: cur_len + instruction_len] = [IGNORE_INDEX] * len(target[cur_len: cur_len + instruction_len])
        cur_len += len(round_ids)
    target[cur_len:] = [IGNORE_INDEX] * len(target[cur_len:])
    if cur_len != len(input_ids):
        raise TokenizationMismatchError(
            f"tokenization mismatch: rounds add up to {cur_len} tokens but the conversation has "
            f"{len(input_ids)} (template {template!r}; does a message contain {conv.sep2!r} or "
            f"{sep!r}, or does the tokenizer merge across the separators?): {prompt!r}"
        )
    return Tokenized(torch.tensor(input_ids, dtype=torch.long), torch.tensor(target, dtype=torch.long))


def preprocess_plain(turns: Sequence[Turn], tokenizer: PreTrainedTokenizerBase,
                     image_token_id: int = IMAGE_TOKEN_INDEX, image_token: str = "<image>") -> Tokenized:
    """Stage 1: "<image>" + caption + "\\n"; the human text is dropped, loss on the caption."""
    if len(turns) != 2:
        raise ValueError(f"plain samples have exactly 2 turns (human, gpt), got {len(turns)}")
    if image_token not in turns[0]["value"]:
        raise ValueError(f"plain samples need {image_token!r} in the human turn, got {turns[0]['value']!r}")
    prompt = image_token + turns[1]["value"] + get_template("plain").sep
    input_ids = tokenizer_image_token(prompt, tokenizer, image_token_id, image_token)
    target = list(input_ids)
    n_prefix = len(tokenizer_image_token(image_token, tokenizer, image_token_id, image_token))
    target[:n_prefix] = [IGNORE_INDEX] * n_prefix
    return Tokenized(torch.tensor(input_ids, dtype=torch.long), torch.tensor(target, dtype=torch.long))


def preprocess(turns: Sequence[Turn], tokenizer: PreTrainedTokenizerBase, template: str,
               image_token_id: int = IMAGE_TOKEN_INDEX, image_token: str = "<image>",
               has_image: bool = True) -> Tokenized:
    """Pick the original's preprocessing for `template` (train.py `preprocess`)."""
    if has_image:
        turns = move_image_to_front(turns, image_token)
    if get_template(template).sep_style == SeparatorStyle.PLAIN:
        return preprocess_plain(turns, tokenizer, image_token_id, image_token)
    return preprocess_v1(turns, tokenizer, template, image_token_id, image_token, has_image)
