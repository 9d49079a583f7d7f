"""Train the byte-level BPE tokenizer our small LLM and CLIP text tower share.

    python -m training.tokenizer --data data/sim/stage1_captions.json data/sim/stage2_instruct.json \\
        --out runs/tokenizer --vocab-size 2048

We cannot download Vicuna's tokenizer, so we train one on the text of LLaVA JSON files: every
conversation value plus the prompts the conversation templates build around them (system prompts,
``USER:`` / ``ASSISTANT:`` roles, separators). Byte-level, so no text is ever ``<unk>``.

Special tokens, in this id order: ``<s>`` (0, BOS, prepended by the post-processor), ``</s>``
(1, EOS and the ``vicuna_v1`` turn separator ``sep2``), ``<unk>``, ``<pad>``, ``<image>``.

Numbers (``--numbers``), which decide how the box coordinates of :mod:`llava_ros.boxes` are spelled:

- ``digits`` (default): like LLaMA's tokenizer (sentencepiece ``split_digits``), every digit after
  the integer part is its own token: " 0.41" → " 0.", "4", "1". A coordinate is then two 10-way
  choices whose tokens every coordinate shares, so what the model learns about "4" at x1 serves
  y2 too. It is also what LLaMA/Vicuna do. Measured on the sim model (`training.image_reliance`):
  with whole numbers the loss on coordinate tokens was the same with the right image and another
  scene's (2.82 vs 2.84 nats). Digits did not change that within 1,000 stage-2 steps (+0.014 nats
  per number token at step 500); see docs/ablations.md.
- ``whole``: a decimal number with its leading space is one piece (" 0.41"), so a coordinate is
  one token out of ~200 (" 0.41" and "0.41" differ), and sequences are shorter.

The result is saved as a transformers ``PreTrainedTokenizerFast`` folder (``tokenizer.json`` +
``tokenizer_config.json``) the same way :func:`llava_ros.model.save_pretrained` saves tokenizers, and
loads with :func:`llava_ros.model.load_tokenizer`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, Iterator

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from llava_ros.model import get_template
from llava_ros.model.conversation import TEMPLATES
from training.data.llava_format import question_text, read_llava_json

BOS, EOS, UNK, PAD, IMAGE = "<s>", "</s>", "<unk>", "<pad>", "<image>"
SPECIAL_TOKENS = (BOS, EOS, UNK, PAD, IMAGE)
DEFAULT_VOCAB_SIZE = 2048
# GPT-2's split pattern, with a number rule per ``--numbers`` choice (see the module docstring).
NUMBER_PATTERNS = {
    "digits": r" ?\d+\.(?=\d)| ?\d",     # " 0.41" → " 0.", "4", "1"; " 12" → " 1", "2"
    "whole": r" ?\d+(?:\.\d+)?",          # " 0.41", "12", "3.5"
}
DEFAULT_NUMBERS = "digits"


def split_pattern(numbers: str = DEFAULT_NUMBERS) -> str:
    if numbers not in NUMBER_PATTERNS:
        raise ValueError(f"unknown numbers mode {numbers!r}; choose from {sorted(NUMBER_PATTERNS)}")
    return rf"""'s|'t|'re|'ve|'m|'ll|'d|{NUMBER_PATTERNS[numbers]}| ?\p{{L}}+| ?[^\s\p{{L}}\p{{N}}]+|\s+(?!\S)|\s+"""


def template_texts(turns: list[dict]) -> Iterator[str]:
    """The conversation rendered by every template (image placeholder removed), as the models see it."""
    for name in TEMPLATES:
        conv = get_template(name)
        for i, turn in enumerate(turns):
            conv.append_message(conv.roles[i % 2], question_text(turn["value"]))
        yield conv.get_prompt()


def corpus(records: Iterable[dict]) -> Iterator[str]:
    """Every conversation value, then every templated prompt, of LLaVA records."""
    for record in records:
        turns = record["conversations"]
        for turn in turns:
            yield question_text(turn["value"])
        yield from template_texts(turns)


def build_tokenizer(numbers: str = DEFAULT_NUMBERS) -> Tokenizer:
    """An untrained byte-level BPE with our pre-tokenizer, decoder and BOS post-processor."""
    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(split_pattern(numbers)), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE,
                    min_frequency: int = 2, numbers: str = DEFAULT_NUMBERS) -> PreTrainedTokenizerFast:
    """Train on ``texts`` and wrap as a transformers fast tokenizer (BOS added, no EOS)."""
    minimum = len(SPECIAL_TOKENS) + len(pre_tokenizers.ByteLevel.alphabet())
    if vocab_size < minimum:
        raise ValueError(f"vocab_size {vocab_size} is below {minimum} (256 bytes + {len(SPECIAL_TOKENS)} specials)")
    tok = build_tokenizer(numbers)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, unk_token=UNK, pad_token=PAD,
        extra_special_tokens=[IMAGE], padding_side="right", clean_up_tokenization_spaces=False,
    )


def train_from_llava_json(paths: Iterable[str | Path], vocab_size: int = DEFAULT_VOCAB_SIZE,
                          min_frequency: int = 2, numbers: str = DEFAULT_NUMBERS) -> PreTrainedTokenizerFast:
    """Train on the text of LLaVA JSON files (see module docstring)."""
    records: list[dict] = []
    for path in paths:
        records += read_llava_json(path)
    if not records:
        raise ValueError(f"no records in {[str(p) for p in paths]}")
    return train_tokenizer(corpus(records), vocab_size, min_frequency, numbers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.tokenizer", description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", required=True, help="LLaVA JSON files")
    parser.add_argument("--out", required=True, help="output folder (tokenizer.json, tokenizer_config.json)")
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--min-frequency", type=int, default=2)
    parser.add_argument("--numbers", choices=sorted(NUMBER_PATTERNS), default=DEFAULT_NUMBERS,
                        help="how numbers are split (module docstring); default %(default)s")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tokenizer = train_from_llava_json(args.data, args.vocab_size, args.min_frequency, args.numbers)
    tokenizer.save_pretrained(args.out)
    print(f"tokenizer with {len(tokenizer)} tokens: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
