"""LLaVA JSON records → tokenised training samples.

- :class:`ConversationDataset`: stages 1 and 2 (and, without images, the LLM stage). Each record
  goes through the original repo's preprocessing for ``data.template``
  (:func:`llava_ros.model.preprocess`: ``plain`` keeps only the caption, ``vicuna_v1`` masks
  everything but the assistant turns); its image through the model's own
  :class:`~llava_ros.model.ImageProcessor`. With ``shift`` > 0 the image and every box of the
  record's turns first move together by up to that many hundredths of the image
  (:mod:`training.train.shift_augment`). ``text_only`` drops the image and its ``<image>``
  placeholder (the LLM never sees one before stage 1); ``loss_on="all"`` then trains on every token.
- :class:`CaptionDataset`: the clip stage, (image, caption) pairs from the first answer of each
  record (the stage-1 brief captions), tokenised ``<s> caption </s>``.

Samples are dicts of tensors: ``input_ids``, ``labels`` (absent for captions), ``pixel_values``
(3, H, W) or None, and with ``box_negatives`` the (N, 2) copied-box tokens of
:func:`training.train.box_negatives.box_negatives`.
"""
from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from llava_ros.model import IMAGE_TOKEN_INDEX, ImageProcessor, preprocess
from llava_ros.boxes import BOX_PATTERN
from training.data.llava_format import IMAGE_TOKEN, question_text, read_llava_json
from training.train.after_box import after_box_positions
from training.train.box_negatives import box_negatives
from training.train.patch_phrases import patch_targets
from training.train.shift_augment import Shift, draw_shift, fit_shift, record_boxes, shift_image, shift_turns


def read_records(paths: list[str]) -> list[dict]:
    records: list[dict] = []
    for path in paths:
        records += read_llava_json(path)
    if not records:
        raise ValueError(f"no records in {paths}")
    return records


class ImageLoader:
    """Relative image path → normalised (3, H, W) pixels."""

    def __init__(self, folder: str | Path, processor: ImageProcessor):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"image folder not found: {self.folder}")
        self.processor = processor

    def __call__(self, name: str, shift: Shift = Shift()) -> torch.Tensor:
        path = self.folder / name
        if not path.is_file():
            raise FileNotFoundError(f"image {name!r} not found in {self.folder}")
        with Image.open(path) as image:
            return self.processor([shift_image(image.convert("RGB"), shift)])[0]


class ConversationDataset(Dataset):
    def __init__(self, records: list[dict], tokenizer: PreTrainedTokenizerBase, template: str, max_length: int,
                 images: ImageLoader | None, image_token_id: int | None, loss_on: str = "assistant",
                 text_only: bool = False, box_negatives: bool = False, after_box: torch.Tensor | None = None,
                 shift: int = 0):
        if not text_only and (images is None or image_token_id is None):
            raise ValueError("image samples need an image loader and an image_token_id (or text_only=True)")
        self.records, self.tokenizer, self.template = records, tokenizer, template
        self.max_length, self.images, self.image_token_id = max_length, images, image_token_id
        self.loss_on, self.text_only, self.box_negatives = loss_on, text_only, box_negatives
        self.after_box = after_box  # box-closing token ids (after_box.closing_token_ids), or None
        self.shift = shift  # > 0: each image and its boxes move up to this many hundredths (shift_augment)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | None]:
        record = self.records[index]
        has_image = "image" in record and not self.text_only
        turns = record["conversations"]
        if self.text_only:
            turns = [{**t, "value": question_text(t["value"])} for t in turns]
        shift = Shift()
        if self.shift and has_image:
            shift = fit_shift(draw_shift(self.shift), record_boxes(turns))
            turns = shift_turns(turns, shift)
        image_token_id = IMAGE_TOKEN_INDEX if self.image_token_id is None else self.image_token_id
        def encode(conversation):
            return preprocess(conversation, self.tokenizer, self.template, image_token_id=image_token_id,
                              image_token=IMAGE_TOKEN, has_image=has_image)

        tokens = encode(turns)
        input_ids = tokens.input_ids[: self.max_length]
        labels = (input_ids.clone() if self.loss_on == "all" else tokens.labels[: self.max_length])
        if has_image and not bool((input_ids == self.image_token_id).any()):
            raise ValueError(f"record {record['id']!r}: max_length {self.max_length} cut off its image token")
        pixel_values = self.images(record["image"], shift) if has_image else None
        sample = {"input_ids": input_ids, "labels": labels, "pixel_values": pixel_values}
        if self.box_negatives:
            sample["negatives"] = box_negatives(turns, lambda c: encode(c).input_ids, input_ids, labels)
        if self.after_box is not None:
            sample["after_box"] = after_box_positions(input_ids, labels, self.after_box)
        return sample


def strip_boxes(text: str) -> str:
    """Remove "[x1, y1, x2, y2]" boxes and the space before them."""
    return " ".join(BOX_PATTERN.sub("", text).split()).replace(" ,", ",").replace(" .", ".")


class CaptionDataset(Dataset):
    def __init__(self, records: list[dict], tokenizer: PreTrainedTokenizerBase, max_length: int,
                 images: ImageLoader, remove_boxes: bool = False):
        self.pairs = [(r["image"], r["conversations"][1]["value"]) for r in records if "image" in r]
        if not self.pairs:
            raise ValueError("no image records for caption pairs")
        self.tokenizer, self.max_length, self.images, self.remove_boxes = tokenizer, max_length, images, remove_boxes

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | None]:
        image, caption = self.pairs[index]
        if self.remove_boxes:
            caption = strip_boxes(caption)
        ids = self.tokenizer(caption).input_ids[: self.max_length - 1] + [self.tokenizer.eos_token_id]
        return {"input_ids": torch.tensor(ids, dtype=torch.long), "pixel_values": self.images(image)}


class PatchPhraseDataset(CaptionDataset):
    """Caption pairs plus each patch's phrase index (``patch_phrases.patch_targets``, from the boxes)."""

    def __init__(self, *args, grid: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | None]:
        sample = super().__getitem__(index)
        sample["patch_targets"] = patch_targets(self.pairs[index][1], self.grid)
        return sample
