"""Model families the stages train, by registered name: how each is built, fed, scored and saved.

- ``clip``: transformers ``CLIPModel`` from config (tiny text tower + the ViT described by
  ``model.vision``), symmetric contrastive loss over the batch; saves the vision half as a
  ``CLIPVisionModel`` folder, which ``model.vision.pretrained_path`` of the LLaVA stages loads.
- ``dense_clip``: ``clip`` plus a patch–phrase contrastive term (``patch_phrases.py``) that teaches the
  ViT what each patch shows; saves the same ``CLIPVisionModel`` folder.
- ``causal_lm``: ``AutoModelForCausalLM`` (Llama config) from scratch on conversation text; saves a
  transformers folder with the tokenizer, which ``model.text.pretrained_path`` loads.
- ``llava``: :class:`llava_ros.model.LlavaModel`, next-token loss plus, with ``model.box_unlikelihood``, the
  unlikelihood of copying an earlier box (``box_negatives.py``) and, with ``model.after_box_weight``, the loss
  of the token after each box once more (``after_box.py``); saves with :func:`llava_ros.model.save_pretrained`.
- ``llava_tower``: the vision tower of a LLaVA checkpoint (``model.init_from``) plus a patch–phrase head
  (``tower_phrases.py``); saves that checkpoint with the tuned tower, in the ``llava`` layout.
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
from training.train.after_box import after_box_loss, closing_token_ids
from training.train.box_negatives import spliced_positions, unlikelihood_loss
from training.train.collate import pad_collate
from training.train.config import TrainConfig
from training.train.datasets import (CaptionDataset, ConversationDataset, ImageLoader, PatchPhraseDataset,
                                     read_records)
from training.train.patch_phrases import PHRASES, phrase_class_weights
from training.train.tower_phrases import TowerPhrases

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
    shifts_images = False  # reads data.shift (translation augmentation, shift_augment)

    def build(self, cfg: TrainConfig) -> tuple[nn.Module, PreTrainedTokenizerBase]:
        raise NotImplementedError

    def dataset(self, cfg: TrainConfig, model: nn.Module, tokenizer: PreTrainedTokenizerBase) -> Dataset:
        raise NotImplementedError

    def loss(self, model: nn.Module, batch: dict, cfg: TrainConfig) -> torch.Tensor:
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

    def loss(self, model, batch, cfg):
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                     pixel_values=batch["pixel_values"], return_loss=True).loss

    def after_step(self, model):
        with torch.no_grad():
            model.logit_scale.clamp_(0, self.MAX_LOGIT_SCALE)

    def save(self, cfg, model, tokenizer, folder):
        """The vision half as a CLIPVisionModel folder, plus the CLIP image-processor settings it was trained with."""
        model.vision_model.save_pretrained(str(folder))
        ImageProcessor(cfg.model.vision).clip.save_pretrained(str(folder))


class DenseClip(nn.Module):
    """A CLIPModel trained with the scene-level loss plus a patch–phrase loss over ``PHRASES``."""

    def __init__(self, clip: CLIPModel, tokenizer: PreTrainedTokenizerBase, phrase_weight: float,
                 background_weight: float = 1.0):
        super().__init__()
        self.clip, self.phrase_weight = clip, phrase_weight
        self.register_buffer("class_weights", phrase_class_weights(background_weight), persistent=False)
        phrases = pad_collate([{"input_ids": torch.tensor(tokenizer(p).input_ids + [tokenizer.eos_token_id])}
                               for p in PHRASES], tokenizer.pad_token_id)
        self.register_buffer("phrase_ids", phrases["input_ids"], persistent=False)
        self.register_buffer("phrase_mask", phrases["attention_mask"], persistent=False)

    def text_embeds(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pooled = self.clip.text_model(input_ids=input_ids, attention_mask=attention_mask).pooler_output
        return nn.functional.normalize(self.clip.text_projection(pooled), dim=-1)

    def patch_embeds(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """Vision tower output (B, 1 + patches, H) → unit patch embeddings (B, patches, projection_dim)."""
        clip = self.clip
        patches = clip.visual_projection(clip.vision_model.post_layernorm(last_hidden_state[:, 1:]))
        return nn.functional.normalize(patches, dim=-1)

    def forward(self, input_ids, attention_mask, pixel_values, patch_targets) -> tuple[torch.Tensor, torch.Tensor]:
        """(scene loss, patch–phrase loss)."""
        clip, scale = self.clip, self.clip.logit_scale.exp()
        vision = clip.vision_model(pixel_values=pixel_values)
        image = nn.functional.normalize(clip.visual_projection(vision.pooler_output), dim=-1)
        logits = scale * self.text_embeds(input_ids, attention_mask) @ image.T
        labels = torch.arange(len(logits), device=logits.device)
        scene = (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.T, labels)) / 2
        phrases = self.text_embeds(self.phrase_ids, self.phrase_mask)
        dense_logits = scale * self.patch_embeds(vision.last_hidden_state) @ phrases.T  # (B, patches, phrases)
        dense = nn.functional.cross_entropy(dense_logits.flatten(0, 1), patch_targets.flatten(),
                                            weight=self.class_weights)
        return scene, dense


class DenseClipTask(ClipTask):
    name = "dense_clip"

    def build(self, cfg):
        clip, tokenizer = super().build(cfg)
        return DenseClip(clip, tokenizer, cfg.model.patch_phrase_weight, cfg.model.background_weight), tokenizer

    def dataset(self, cfg, model, tokenizer):
        images = ImageLoader(cfg.data.image_folder, ImageProcessor(cfg.model.vision))
        grid = cfg.model.vision.image_size // cfg.model.vision.patch_size
        return PatchPhraseDataset(read_records(cfg.data.train_json), tokenizer, cfg.data.max_length, images,
                                  cfg.data.strip_boxes, grid=grid)

    def loss(self, model, batch, cfg):
        scene, dense = model(batch["input_ids"], batch["attention_mask"], batch["pixel_values"], batch["patch_targets"])
        return scene + model_weight(model) * dense

    def after_step(self, model):
        super().after_step(model.clip)

    def save(self, cfg, model, tokenizer, folder):
        super().save(cfg, model.clip, tokenizer, folder)


def model_weight(model: nn.Module) -> float:
    """The patch–phrase weight of a DenseClip, through a DistributedDataParallel wrapper if any."""
    return getattr(model, "module", model).phrase_weight


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

    def loss(self, model, batch, cfg):
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                     labels=batch["labels"]).loss

    def save(self, cfg, model, tokenizer, folder):
        model.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))


class LlavaTask(Task):
    name = "llava"
    shifts_images = True

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
                                   cfg.data.max_length, images, model.config.image_token_id, cfg.data.loss_on,
                                   box_negatives=cfg.model.box_unlikelihood > 0,
                                   after_box=closing_token_ids(tokenizer) if cfg.model.after_box_weight > 0 else None,
                                   shift=cfg.data.shift)

    def loss(self, model, batch, cfg):
        out = model(input_ids=batch["input_ids"], pixel_values=batch["pixel_values"],
                    attention_mask=batch["attention_mask"], labels=batch["labels"])
        llava = getattr(model, "module", model)
        def spliced(rows, positions):
            return spliced_positions(batch["input_ids"], rows, positions, llava.config.image_token_id,
                                     llava.num_image_tokens)
        loss = out.loss
        if "negatives" in batch:
            rows, positions, tokens = batch["negatives"].unbind(1)
            loss = loss + cfg.model.box_unlikelihood * unlikelihood_loss(out.logits, rows, spliced(rows, positions),
                                                                          tokens)
        if "after_box" in batch:
            rows, positions = batch["after_box"].unbind(1)
            loss = loss + cfg.model.after_box_weight * after_box_loss(out.logits, rows, spliced(rows, positions),
                                                                     batch["labels"][rows, positions])
        return loss

    def save(self, cfg, model, tokenizer, folder):
        save_pretrained(model, tokenizer, folder)


class LlavaTowerTask(Task):
    name = "llava_tower"

    def build(self, cfg):
        if cfg.model.init_from is None:
            raise ValueError("the llava_tower task tunes the vision tower of a LLaVA checkpoint; set model.init_from")
        model, tokenizer = load_pretrained(cfg.model.init_from)
        return TowerPhrases(model.vision, cfg.model.background_weight, cfg.model.anchor_weight), tokenizer

    def dataset(self, cfg, model, tokenizer):
        images = ImageLoader(cfg.data.image_folder, ImageProcessor(model.vision.config))
        return PatchPhraseDataset(read_records(cfg.data.train_json), tokenizer, cfg.data.max_length, images,
                                  cfg.data.strip_boxes, grid=model.grid)

    def loss(self, model, batch, cfg):
        return model(batch["pixel_values"], batch["patch_targets"])

    def save(self, cfg, model, tokenizer, folder):
        """The init_from checkpoint with this tower in place of its own; the head is dropped."""
        llava, _ = load_pretrained(cfg.model.init_from)
        llava.vision.load_state_dict(model.vision.state_dict())
        save_pretrained(llava, tokenizer, folder)


TASKS: dict[str, Task] = {task.name: task for task in (ClipTask(), DenseClipTask(), CausalLMTask(), LlavaTask(),
                                                       LlavaTowerTask())}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; registered: {sorted(TASKS)}")
    return TASKS[name]
