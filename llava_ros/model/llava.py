"""LLaVA: CLIP vision tower → projector → causal LLM, image features spliced in.

One `image_token_id` in `input_ids` stands for one image and expands into
`num_image_tokens` feature positions, as in haotian-liu/LLaVA
`llava/model/llava_arch.py` (`prepare_inputs_labels_for_multimodal`): padding is
dropped with the attention mask, each sequence is rebuilt as
text | image features | text ..., image positions get IGNORE_INDEX labels, and
the batch is right-padded again. Images are consumed in order across the
batch, so a sample may hold zero, one or several images.

transformers' `LlavaForConditionalGeneration` instead expects the processor to
have repeated the image token `num_image_tokens` times; with that alignment
the two give the same logits (tests/model/test_parity_hf.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import AutoModelForCausalLM, PreTrainedModel

from .config import IGNORE_INDEX, LlavaConfig, TextConfig
from .projector import build_projector
from .vision import VisionTower


@dataclass
class LlavaOutput:
    logits: torch.Tensor  # (B, T, vocab) over the spliced sequence
    loss: torch.Tensor | None
    labels: torch.Tensor | None  # spliced labels (B, T), IGNORE_INDEX at image and padding positions
    attention_mask: torch.Tensor  # spliced mask (B, T)
    past_key_values: Any = None


@dataclass
class SplicedInputs:
    inputs_embeds: torch.Tensor  # (B, T, D)
    attention_mask: torch.Tensor  # (B, T)
    labels: torch.Tensor | None  # (B, T)


class LlavaModel(nn.Module):
    def __init__(self, config: LlavaConfig, vision: VisionTower, llm: PreTrainedModel):
        super().__init__()
        self.config = config
        self.vision = vision
        self.projector = build_projector(config.projector.type, vision.hidden_size, llm.config.hidden_size,
                                         vision.num_image_tokens)
        self.llm = llm

    @classmethod
    def from_config(cls, config: LlavaConfig) -> LlavaModel:
        """Build every part from `config`; parts with a `pretrained_path` load from that local folder."""
        vision = VisionTower.from_config(config.vision)
        if config.text.pretrained_path is None:
            llm = AutoModelForCausalLM.from_config(config.text.to_hf())
        else:
            llm = AutoModelForCausalLM.from_pretrained(config.text.pretrained_path, local_files_only=True)
        text = TextConfig.from_hf(llm.config, pretrained_path=config.text.pretrained_path)
        return cls(dataclasses.replace(config, vision=vision.config, text=text), vision, llm)

    @property
    def num_image_tokens(self) -> int:
        return self.vision.num_image_tokens

    @property
    def device(self) -> torch.device:
        return self.llm.get_input_embeddings().weight.device

    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(num_images, 3, H, W) → (num_images, num_image_tokens, llm hidden size)."""
        features = self.vision(pixel_values)
        return self.projector(features.to(self._projector_dtype()))

    def _projector_dtype(self) -> torch.dtype:
        params = list(self.projector.parameters())
        return params[0].dtype if params else self.llm.dtype

    def splice(
        self,
        input_ids: torch.Tensor,
        pixel_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SplicedInputs:
        """Embed `input_ids` and replace each image token by that image's features."""
        if input_ids.ndim != 2:
            raise ValueError(f"input_ids must be (batch, seq), got {tuple(input_ids.shape)}")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        attention_mask = attention_mask.to(input_ids.device)
        is_image = (input_ids == self.config.image_token_id) & attention_mask.bool()
        n_tokens = int(is_image.sum())
        n_images = 0 if pixel_values is None else int(pixel_values.shape[0])
        if n_tokens != n_images:
            raise ValueError(
                f"input_ids hold {n_tokens} image tokens (id {self.config.image_token_id}) "
                f"but {n_images} images were given; each image needs exactly one image token"
            )
        embed = self.llm.get_input_embeddings()
        text_embeds = embed(input_ids.masked_fill(is_image, 0))
        if n_images == 0:
            return SplicedInputs(text_embeds, attention_mask, labels)

        features = self.encode_images(pixel_values).to(text_embeds.dtype)
        rows, row_labels, image_index = [], [], 0
        for b in range(input_ids.shape[0]):
            keep = attention_mask[b].bool()
            emb, img = text_embeds[b][keep], is_image[b][keep]
            lab = labels[b][keep] if labels is not None else torch.full_like(input_ids[b][keep], IGNORE_INDEX)
            pieces, label_pieces, start = [], [], 0
            for pos in img.nonzero().flatten().tolist():
                feat = features[image_index]
                image_index += 1
                pieces += [emb[start:pos], feat]
                label_pieces += [lab[start:pos], lab.new_full((feat.shape[0],), IGNORE_INDEX)]
                start = pos + 1
            pieces.append(emb[start:])
            label_pieces.append(lab[start:])
            rows.append(torch.cat(pieces))
            row_labels.append(torch.cat(label_pieces))

        # Right-pad back into a batch (the original's default tokenizer_padding_side).
        batch, width = len(rows), max(r.shape[0] for r in rows)
        out_embeds = text_embeds.new_zeros((batch, width, text_embeds.shape[-1]))
        out_mask = attention_mask.new_zeros((batch, width))
        out_labels = input_ids.new_full((batch, width), IGNORE_INDEX)
        for b, (row, lab) in enumerate(zip(rows, row_labels)):
            out_embeds[b, : row.shape[0]] = row
            out_mask[b, : row.shape[0]] = 1
            out_labels[b, : lab.shape[0]] = lab
        return SplicedInputs(out_embeds, out_mask, out_labels if labels is not None else None)

    def forward(
        self,
        input_ids: torch.Tensor,
        pixel_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool = False,
    ) -> LlavaOutput:
        """Loss (when `labels` are given, -100 = ignored) and logits over the spliced sequence."""
        inputs = self.splice(input_ids, pixel_values, attention_mask, labels)
        out = self.llm(
            inputs_embeds=inputs.inputs_embeds,
            attention_mask=inputs.attention_mask,
            labels=inputs.labels,
            use_cache=use_cache,
        )
        return LlavaOutput(out.logits, out.loss, inputs.labels, inputs.attention_mask, out.past_key_values)
