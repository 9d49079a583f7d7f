"""Model families the stages train, by registered name: how each is built, fed, scored and saved.

- ``clip``: transformers ``CLIPModel`` from config (tiny text tower + the ViT described by
  ``model.vision``), symmetric contrastive loss over the batch; saves the vision half as a
  ``CLIPVisionModel`` folder, which ``model.vision.pretrained_path`` of the LLaVA stages loads.
- ``causal_lm``: ``AutoModelForCausalLM`` (Llama config) from scratch on conversation text; saves a
  transformers folder with the tokenizer, which ``model.text.pretrained_path`` loads.
- ``llava``: :class:`llava_ros.model.LlavaModel`; saves with :func:`llava_ros.model.save_pretrained`.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset
from transformers import AutoModelForCausalLM, CLIPConfig, CLIPModel, CLIPTextConfig, PreTrainedTokenizerBase

from llava_ros.model import (ImageProcessor, LlavaConfig, LlavaModel, ProjectorConfig, TextConfig, load_pretrained,
                             load_tokenizer, save_pretrained)
from training.data.llava_format import IMAGE_TOKEN
from training.train.config import TrainConfig
from training.train.datasets import CaptionDataset, ConversationDataset, ImageLoader, read_records

FROM_TOKENIZER = ("vocab_size", "bos_token_id", "eos_token_id", "pad_token_id")


def tokenizer_for(cfg: TrainConfig) -> PreTrainedTokenizerBase:
    if cfg.model.tokenizer is None:
        raise ValueError("model.tokenizer is not set (nor model.init_from or model.text.pretrained_path); "
                         "train one with `python -m training.tokenizer`")
    return load_tokenizer(cfg.model.tokenizer)


def special_ids(tokenizer: PreTrainedTokenizerBase) -> dict[str, int]:
    return {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id}


def text_config_for(text: TextConfig, tokenizer: PreTrainedTokenizerBase) -> TextConfig:
    """The LLM config with vocabulary size and special ids taken from the tokenizer."""
    return dataclasses.replace(text, vocab_size=len(tokenizer), extra={**text.extra, **special_ids(tokenizer)})


def check_vocab(embeddings: int, tokenizer: PreTrainedTokenizerBase, where: str) -> None:
    if embeddings < len(tokenizer):
        raise ValueError(f"{where} has {embeddings} token embeddings but the tokenizer has {len(tokenizer)} tokens")


class Task:
    """One model family: build it (with its tokenizer), its dataset, its loss, its final folder."""

    name = ""

    def build(self, cfg: TrainConfig) -> tuple[nn.Module, PreTrainedTokenizerBase]:
        raise NotImplementedError

    def dataset(self, cfg: TrainConfig, model: nn.Module, tokenizer: PreTrainedTokenizerBase) -> Dataset:
        raise NotImplementedError

    def loss(self, model: nn.Module, batch: dict) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, model: nn.Module) -> None:
        """Called on the unwrapped model after each optimizer step."""

    def save(self, cfg: TrainConfig, model: nn.Module, tokenizer: PreTrainedTokenizerBase, folder: Path) -> None:
        """Write the final, loadable model folder (rank 0 only)."""
        raise NotImplementedError


class ClipTask(Task):
    name = "clip"
    MAX_LOGIT_SCALE = math.log(100.0)  # CLIP clamps the temperature at 100

    def build(self, cfg):
        tokenizer = tokenizer_for(cfg)
        if tokenizer.eos_token_id == 2:
            raise ValueError("CLIP's text tower pools at the highest token id when eos_token_id is 2 (legacy); "
                             "use a tokenizer whose </s> has another id (training.tokenizer puts it at 1)")
        clashing = sorted(set(cfg.model.clip_text) & set(FROM_TOKENIZER))
        if clashing:
            raise ValueError(f"model.clip_text sets {clashing}; these come from the tokenizer")
        if cfg.model.vision.pretrained_path is not None:
            raise ValueError(f"the clip stage trains the vision tower from scratch; model.vision.pretrained_path "
                             f"must be null, got {cfg.model.vision.pretrained_path!r}")
        text = CLIPTextConfig(**{"max_position_embeddings": cfg.data.max_length, **cfg.model.clip_text,
                                 "vocab_size": len(tokenizer), **special_ids(tokenizer)})
        if text.max_position_embeddings < cfg.data.max_length:
            raise ValueError(f"model.clip_text.max_position_embeddings {text.max_position_embeddings} < "
                             f"data.max_length {cfg.data.max_length}")
        config = CLIPConfig(text_config=text.to_dict(), vision_config=cfg.model.vision.to_hf().to_dict(),
                            projection_dim=cfg.model.projection_dim)
        return CLIPModel(config), tokenizer

    def dataset(self, cfg, model, tokenizer):
        images = ImageLoader(cfg.data.image_folder, ImageProcessor(cfg.model.vision))
        return CaptionDataset(read_records(cfg.data.train_json), tokenizer, cfg.data.max_length, images,
                              cfg.data.strip_boxes)

    def loss(self, model, batch):
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                     pixel_values=batch["pixel_values"], return_loss=True).loss

    def after_step(self, model):
        with torch.no_grad():
            model.logit_scale.clamp_(0, self.MAX_LOGIT_SCALE)

    def save(self, cfg, model, tokenizer, folder):
        """The vision half as a CLIPVisionModel folder, plus the CLIP image-processor settings it was trained with."""
        model.vision_model.save_pretrained(str(folder))
        ImageProcessor(cfg.model.vision).clip.save_pretrained(str(folder))


class CausalLMTask(Task):
    name = "causal_lm"

    def build(self, cfg):
        tokenizer = tokenizer_for(cfg)
        text = cfg.model.text
        if text.pretrained_path is None:
            model = AutoModelForCausalLM.from_config(text_config_for(text, tokenizer).to_hf())
        else:
            model = AutoModelForCausalLM.from_pretrained(text.pretrained_path, local_files_only=True)
        check_vocab(model.get_input_embeddings().num_embeddings, tokenizer, "the LLM")
        return model, tokenizer

    def dataset(self, cfg, model, tokenizer):
        return ConversationDataset(read_records(cfg.data.train_json), tokenizer, cfg.data.template,
                                   cfg.data.max_length, images=None, image_token_id=None,
                                   loss_on=cfg.data.loss_on, text_only=True)

    def loss(self, model, batch):
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                     labels=batch["labels"]).loss

    def save(self, cfg, model, tokenizer, folder):
        model.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))


class LlavaTask(Task):
    name = "llava"

    def build(self, cfg):
        m = cfg.model
        if m.init_from is not None:
            if m.vision.pretrained_path or m.text.pretrained_path:
                raise ValueError(f"model.init_from {m.init_from!r} brings its own vision tower and LLM; "
                                 "leave model.vision.pretrained_path and model.text.pretrained_path null")
            model, tokenizer = load_pretrained(m.init_from)
            model.train()
        else:
            tokenizer = tokenizer_for(cfg)
            image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
            if image_token_id is None or image_token_id == tokenizer.unk_token_id:
                raise ValueError(f"tokenizer {m.tokenizer!r} has no {IMAGE_TOKEN!r} token")
            config = LlavaConfig(vision=m.vision, projector=ProjectorConfig(m.projector),
                                 text=text_config_for(m.text, tokenizer), image_token=IMAGE_TOKEN,
                                 image_token_id=image_token_id, template=m.inference_template)
            model = LlavaModel.from_config(config)
        check_vocab(model.llm.get_input_embeddings().num_embeddings, tokenizer, "the LLM")
        return model, tokenizer

    def dataset(self, cfg, model, tokenizer):
        images = ImageLoader(cfg.data.image_folder, ImageProcessor(model.config.vision))
        return ConversationDataset(read_records(cfg.data.train_json), tokenizer, cfg.data.template,
                                   cfg.data.max_length, images, model.config.image_token_id, cfg.data.loss_on)

    def loss(self, model, batch):
        return model(input_ids=batch["input_ids"], pixel_values=batch["pixel_values"],
                     attention_mask=batch["attention_mask"], labels=batch["labels"]).loss

    def save(self, cfg, model, tokenizer, folder):
        save_pretrained(model, tokenizer, folder)


TASKS: dict[str, Task] = {task.name: task for task in (ClipTask(), CausalLMTask(), LlavaTask())}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; registered: {sorted(TASKS)}")
    return TASKS[name]
